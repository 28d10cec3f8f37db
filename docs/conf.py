"""Sphinx configuration of mimsim's documentation (``make docs``; warnings are errors)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "mimsim"
author = "mimsim developers"
copyright = "mimsim developers, MIT licence"  # Sphinx's name for it

extensions = [
    "myst_parser",  # the pages are Markdown (MyST), readable on GitHub as they are
    "sphinx_click",  # the command-line reference, generated from the click commands
    "mimsim_docs",  # the scenario and KPI references, generated from the code
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_ext", "README.md"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3  # [text](page.md#a-heading) links to headings down to ###
suppress_warnings: list[str] = []

html_theme = "furo"
html_title = "mimsim"
html_static_path = ["_static"]
