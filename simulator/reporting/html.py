"""Reporting layer: the pieces of a self-contained HTML page — sections, tables, embedded figures.

The page needs nothing from the network: its style sheet is inline, it uses
the reader's system fonts, and every figure is a PNG embedded as a ``data:``
URI. No script runs in it.
"""

from __future__ import annotations

import base64
import html
import io
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["Section", "figure_html", "page", "table_html"]

_DPI = 100

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1120px; padding: 1.5rem 2rem 4rem; color: #1d2330;
       line-height: 1.45; background: #fff; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; margin-top: 2.4rem; border-bottom: 2px solid #d6e0ee; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
p.lead { color: #4a5568; margin-top: 0; }
nav { background: #f4f7fb; border: 1px solid #d6e0ee; border-radius: 6px; padding: 0.5rem 1rem;
      margin: 1rem 0; font-size: 0.92rem; }
nav a { margin-right: 1rem; color: #1f5fa8; text-decoration: none; white-space: nowrap; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.88rem; max-width: 100%; }
th, td { padding: 0.28rem 0.7rem; border-bottom: 1px solid #e2e8f0; text-align: right; }
th { background: #f4f7fb; font-weight: 600; }
td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; }
tr:hover td { background: #fafcff; }
.pass { color: #1e7b34; font-weight: 600; } .fail { color: #b42318; font-weight: 600; }
.unclear { color: #a15c00; font-weight: 600; } .nodata { color: #8a94a6; }
figure { margin: 1rem 0 1.6rem; } figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.88rem; color: #4a5568; margin-top: 0.3rem; }
.note { background: #fff8e6; border-left: 4px solid #e0a800; padding: 0.5rem 0.9rem; }
details summary { cursor: pointer; color: #1f5fa8; }
code { background: #f4f7fb; padding: 0 0.25rem; border-radius: 3px; }
.params td { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.8rem;
             text-align: left; overflow-wrap: anywhere; }
table.text td, table.text th { text-align: left; vertical-align: top; }
table.text td { overflow-wrap: anywhere; }
"""


@dataclass(frozen=True)
class Section:
    """A titled part of the page; ``body`` is HTML."""

    anchor: str
    title: str
    body: str


def figure_html(figure: Figure, alt: str, caption: str = "") -> str:
    """A figure as an embedded PNG, with its alternative text and caption (closes the figure)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI)
    plt.close(figure)
    png = buffer.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the PNG's own size, from its IHDR chunk
    data = base64.b64encode(png).decode("ascii")
    text = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
            f'width="{width}" height="{height}">{text}</figure>')


def table_html(header: Sequence[str], rows: Iterable[Sequence[str]], classes: str = "",
               raw: bool = False) -> str:
    """A table; cells are escaped unless ``raw`` (for cells that carry their own markup)."""
    def cell(value: str) -> str:
        return value if raw else html.escape(value)

    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(value)}</td>" for value in row) + "</tr>"
                   for row in rows)
    return f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def page(title: str, lead: str, sections: Sequence[Section]) -> str:
    """The whole HTML document: a title, a table of contents, and the sections in order."""
    contents = " ".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    body = "".join(f'<section id="{s.anchor}"><h2>{html.escape(s.title)}</h2>{s.body}</section>'
                   for s in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="generator" content="mimsim">'  # mimsim replaces only its own reports
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class=\"lead\">{lead}</p><nav>{contents}</nav>"
            f"{body}</body></html>\n")
