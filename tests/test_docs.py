"""The documentation: the site builds with warnings as errors, every internal link resolves, every
command shown parses, and the generated references cover the whole schema and KPI catalogue."""

from __future__ import annotations

import functools
import itertools
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from simulator.cli.main import cli
from simulator.scenario.kpis import KPIS
from simulator.scenario.loader import load_scenario

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import mimsim_docs  # noqa: E402  (the docs' own generators, beside conf.py)

PAGES = sorted(path for path in DOCS.rglob("*.md") if "_build" not in path.parts)
READERS_PAGES = [*PAGES, ROOT / "README.md"]
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_LABEL = re.compile(r"^\(([\w-]+)\)=$", re.MULTILINE)
_HEADING = re.compile(r"^(#{1,3}) (.+)$", re.MULTILINE)
#: Files a guide's command writes or a user brings: they need not exist when the command parses.
_MADE_OR_BROUGHT = re.compile(r"^(runs/|roi5|export\.|learned\.yaml|train\.yaml|mar-apr\.yaml|"
                              r"jira|events\.xes|my-design\.yaml|\.\./shared/data/|LOG$|"
                              r".*\.sqlite$)")


@functools.cache
def _text(page: Path) -> str:
    return mimsim_docs.expand(page.read_text())


def _outside_fences(text: str) -> str:
    return _FENCE.sub("", text)


def _slug(heading: str) -> str:
    """MyST's anchor for a heading (GitHub's rule): lower case, punctuation dropped, spaces as '-'."""
    plain = re.sub(r"[`*_]", "", heading).strip().lower()
    plain = re.sub(r"[^\w\- ]", "", plain)
    return plain.replace(" ", "-")


@functools.cache
def _anchors(page: Path) -> set[str]:
    text = _outside_fences(_text(page))
    return {*_LABEL.findall(text), *(_slug(title) for _, title in _HEADING.findall(text))}


def _links(page: Path) -> Iterator[str]:
    for match in _LINK.finditer(_outside_fences(_text(page))):
        yield match.group(1) or match.group(2)


@pytest.mark.parametrize("page", READERS_PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_internal_link_resolves(page: Path) -> None:
    for link in _links(page):
        if re.match(r"^[a-z]+:", link):
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{page.relative_to(ROOT)}: link to {link}: no such file"
        if anchor:
            assert path.suffix == ".md", f"{page.relative_to(ROOT)}: anchor into a non-page: {link}"
            assert anchor in _anchors(path), f"{page.relative_to(ROOT)}: link to {link}: no such anchor"


def test_the_link_check_finds_a_broken_link_and_a_broken_anchor(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n## A heading, with `code`\n\n[ok](#a-heading-with-code) [bad](#nowhere)"
                    " [gone](missing.md)\n")
    links = list(_links(page))
    assert links == ["#a-heading-with-code", "#nowhere", "missing.md"]
    assert _anchors(page) == {"page", "a-heading-with-code"}


# --- commands ---------------------------------------------------------------------------------

def _commands(text: str) -> Iterator[str]:
    """The shell commands in a page's code blocks (``sh``, ``bash``, ``console``), one per line
    once continuation lines are joined; a console block's commands are the ``$`` lines."""
    for language, body in _FENCE.findall(text):
        if language not in ("sh", "bash", "console", "shell"):
            continue
        joined = re.sub(r"\\\n\s*", " ", body)
        for line in joined.splitlines():
            if language == "console" and not line.startswith("$ "):
                continue
            command = line[2:] if language == "console" else line
            if command.strip() and not command.lstrip().startswith("#"):
                yield command.strip()


def _argv(command: str) -> list[str]:
    words = shlex.split(command, comments=True)
    return words[: words.index(">")] if ">" in words else words


def _mimsim_args(words: list[str]) -> list[str] | None:
    if words[:1] in (["mimsim"], [".venv/bin/mimsim"]):
        return words[1:]
    if words[:3] == ["python", "-m", "simulator"]:
        return words[3:]
    return None


def _shown_commands() -> list[tuple[str, str]]:
    return [(str(page.relative_to(ROOT)), command) for page in READERS_PAGES
            for command in _commands(page.read_text())]


def _scenario_checks(args: list[str]) -> None:
    """Each shipped scenario a command names loads with the command's ``--set`` and ``--vary``."""
    overrides = [value for option, value in itertools.pairwise(args)
                 if option in ("--set", "--vary")]
    for arg in args:
        if arg.startswith("scenarios/") and arg.endswith(".yaml"):
            load_scenario(ROOT / arg, overrides)


def _parse(args: list[str]) -> None:
    """Parse a mimsim command line as click would run it, without running it."""
    command = cli.commands.get(args[0])
    assert command is not None, f"no command {args[0]!r}"
    try:
        command.make_context(args[0], args[1:])
    except click.BadParameter as error:
        value = next((arg for arg in args if arg in str(error.message) or arg in str(error)), "")
        if not ("does not exist" in str(error.message) and _MADE_OR_BROUGHT.match(value)):
            raise


@pytest.mark.parametrize(("page", "command"), _shown_commands())
def test_every_command_shown_parses(page: str, command: str) -> None:
    words = _argv(command)
    args = _mimsim_args(words)
    if args is not None:
        _parse(args)
        _scenario_checks(args)
    elif words[:1] in (["python"], ["python3"]) and words[1].endswith(".py"):
        assert (ROOT / words[1]).exists(), f"{page}: {words[1]} does not exist"
    elif words[:1] == ["make"]:
        assert re.search(rf"^{words[1]}:", (ROOT / "Makefile").read_text(), re.MULTILINE), command


def _exercise_examples() -> list[tuple[str, str]]:
    """The YAML blocks of the pages that extend a shipped scenario (examples of scenario files)."""
    return [(str(page.relative_to(ROOT)), body) for page in READERS_PAGES
            for language, body in _FENCE.findall(page.read_text())
            if language == "yaml" and body.startswith("extends: scenarios/")]


@pytest.mark.parametrize(("page", "example"), _exercise_examples())
def test_every_scenario_file_shown_is_valid(page: str, example: str, tmp_path: Path) -> None:
    """A scenario file a page shows (relative to the repository's root) passes what ``mimsim
    validate`` checks, the exercise's checks included."""
    from simulator.tabletop.checks import check_exercise
    from simulator.tabletop.draw import check_pieces

    path = tmp_path / "example.yaml"
    path.write_text(example.replace("extends: scenarios/", f"extends: {ROOT}/scenarios/", 1))
    loaded = load_scenario(path)
    if loaded.exercise is not None:
        check_pieces(path, check_exercise(loaded, str(path)))


def test_the_trainers_guide_shows_an_exercise_file() -> None:
    assert any(page == "docs/guides/trainer.md" and "draw:" in example and "when:" in example
               for page, example in _exercise_examples())


def test_the_command_check_refuses_an_unknown_option_and_a_bad_value() -> None:
    with pytest.raises(click.NoSuchOption):
        _parse(["run", "scenarios/mmc.yaml", "--replicatoins", "3"])
    with pytest.raises(click.BadParameter):
        _parse(["run", "scenarios/mmc.yaml", "--format", "yaml"])


def test_the_guides_show_commands() -> None:
    pages = {page for page, _ in _shown_commands()}
    assert {"README.md", "docs/getting-started.md", "docs/guides/process-designer.md",
            "docs/guides/trainer.md", "docs/guides/consultant.md"} <= pages


# --- generated references -----------------------------------------------------------------------

def test_the_scenario_reference_lists_every_key_of_every_section() -> None:
    from simulator.scenario.schema import Scenario

    reference = mimsim_docs.scenario_reference()
    definitions = Scenario.model_json_schema()["$defs"]
    for name, section in [("Scenario", Scenario.model_json_schema()), *definitions.items()]:
        assert f"({name.lower()})=" in reference, name
        for key in section.get("properties", {}):
            assert f"| `{key}` |" in reference, f"{name}.{key}"


def test_every_scenario_key_says_what_it_means_and_has_an_example() -> None:
    """A key added without a comment beside its field would show in the reference with no meaning."""
    rows = [line.split("|") for line in mimsim_docs.scenario_reference().splitlines()
            if line.startswith("| `")]
    assert len(rows) > 150
    no_meaning = [row[1].strip() for row in rows if row[4].strip() == ""]
    assert not no_meaning, f"keys with no comment beside their field in the schema: {no_meaning}"
    no_example = [row[1].strip() for row in rows if row[5].strip() == ""]
    assert not no_example, f"keys with no example: {no_example}"
    assert sum("baseline.yaml" in row[5] for row in rows) > 40  # real examples, not only syntax


def test_the_kpi_reference_lists_every_kpi_of_the_catalogue() -> None:
    reference = mimsim_docs.kpi_reference()
    for kpi in KPIS:
        assert f"| `{kpi.name}` | {kpi.unit.value} | {kpi.definition}" in reference.replace("\\|", "|")


@pytest.mark.slow
def test_the_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           str(DOCS), str(tmp_path / "html")], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    for page in ("index", "reference/scenario", "reference/kpis", "reference/cli"):
        assert (tmp_path / "html" / f"{page}.html").exists(), page
    cli_page = (tmp_path / "html" / "reference" / "cli.html").read_text()
    assert all(name in cli_page for name in cli.commands), "a command is missing from the CLI reference"


def test_the_event_log_reference_describes_every_activity() -> None:
    from simulator.eventlog.log import ACTIVITIES

    page = (DOCS / "reference" / "event-log.md").read_text()
    assert [activity for activity in ACTIVITIES if f"`{activity}`" not in page] == []
