"""Documentation: the reference pages generated from the code, so that they cannot drift.

* the scenario language — every key of every section, its type and unit, its default and an
  example — from the pydantic models (their JSON Schema, their field comments, their docstrings)
  and the shipped scenario files;
* the KPIs — from the KPI catalogue (:mod:`simulator.scenario.kpis`);
* the prices of the ROI worked example — every price ``scenarios/with-mim.yaml`` sets, with its
  range and source, from the file itself.

As a Sphinx extension it replaces a line ``<!-- generated: NAME -->`` in a page with the Markdown
that :data:`GENERATORS` makes for ``NAME`` while the site is built; the tests call the same
functions (the command-line reference comes from click itself, through sphinx-click).
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import re
import textwrap
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulator.scenario.kpis import KPIS, Family
from simulator.scenario.schema import Scenario
from simulator.scenario.types import Spec
from simulator.scenario.units import format_duration

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
MARKER = re.compile(r"^<!-- generated: ([\w-]+) -->$", re.MULTILINE)
_DURATION_NOTE = "A duration with a unit"
_RATE_NOTE = "A rate with a unit"
_DISTRIBUTION = "distribution"
Schema = dict[str, Any]


# --- field comments: the schema's one place for what a key means ------------------------------

def _spec_classes() -> dict[str, type[Spec]]:
    found: dict[str, type[Spec]] = {}
    pending: list[type[Spec]] = [Spec]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            found.setdefault(sub.__name__, sub)
            pending.append(sub)
    return found


def _class_comments(cls: type) -> dict[str, str]:
    """Per field declared in ``cls``: its trailing comment and the comment block just above it."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    comments = {token.start[0]: token.string.lstrip("#").strip()
                for token in tokenize.generate_tokens(io.StringIO(source).readline)
                if token.type == tokenize.COMMENT}
    lines = source.splitlines()
    result: dict[str, str] = {}
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    for node in body.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above: list[str] = []
        line = node.lineno - 1
        while line >= 1 and lines[line - 1].strip().startswith("#"):
            above.insert(0, comments[line])
            line -= 1
        trailing = [comments[n] for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
                    if n in comments and not lines[n - 1].strip().startswith("#")]
        text = " ".join([*above, *trailing]).strip()
        if text:
            result[node.target.id] = text
    return result


def field_comments() -> dict[tuple[str, str], str]:
    """(model name, field) → what the key means, from the comments of the schema's source."""
    result: dict[tuple[str, str], str] = {}
    for name, cls in _spec_classes().items():
        for klass in reversed(cls.__mro__):
            for key, text in _class_comments(klass).items() if issubclass(klass, Spec) else ():
                declared = cls.model_fields.get(key)
                result[(name, (declared.alias if declared else None) or key)] = text
    return result


# --- types, units and defaults from the JSON Schema -------------------------------------------

def _ref_name(node: Schema) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _is_distribution(node: Schema) -> bool:
    return any("discriminator" in option for option in node.get("anyOf", []))


def _options(node: Schema) -> list[Schema]:
    """The non-null alternatives of a field's schema (a union of unions flattened)."""
    if _is_distribution(node):
        return [node]
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [found for option in node[key] if option.get("type") != "null"
                    for found in _options(option)]
    return [node]


def _anchor(name: str) -> str:
    return name.lower()


def type_text(node: Schema) -> str:
    """A field's type and unit in words, with links to the sections it holds."""
    if _is_distribution(node):
        return "[distribution](#distributions), or a duration (a fixed value)"
    options = _options(node)
    if len(options) > 1:
        return " or ".join(type_text(option) for option in options)
    node = options[0]
    name = _ref_name(node)
    if name:
        return f"[{name}](#{_anchor(name)}) section"
    return _container_text(node) or _scalar_text(node)


def _container_text(node: Schema) -> str:
    if node.get("type") == "array":
        return f"list of {type_text(node.get('items', {}))}"
    if node.get("type") == "object":
        values = node.get("additionalProperties")
        return f"map of name → {type_text(values)}" if isinstance(values, dict) else "map"
    return ""


def _scalar_text(node: Schema) -> str:
    description = str(node.get("description", ""))
    kind = node.get("type")
    rules: list[tuple[bool, Callable[[], str]]] = [
        (description.startswith(_DURATION_NOTE),
         lambda: "duration with a unit (`90s`, `15m`, `4h`, `3d`, `2w`, `1h30m`)"),
        (description.startswith(_RATE_NOTE), lambda: "rate with a unit (`120/day`, `8/h`, `5/w`)"),
        ("const" in node, lambda: f"`{node['const']}`"),
        ("enum" in node, lambda: "one of " + ", ".join(f"`{value}`" for value in node["enum"])),
        (kind == "string", lambda: _string_text(node)),
        (kind == "boolean", lambda: "`true` or `false`"),
        (kind in ("number", "integer"), lambda: _number_text(node)),
    ]
    return next((text() for applies, text in rules if applies), "any")


def _string_text(node: Schema) -> str:
    formats = {"date-time": "date and time, local (`2026-01-05 00:00`)", "date": "date (`2026-12-25`)"}
    if node.get("format") in formats:
        return formats[node["format"]]
    if node.get("pattern") == r"^\d{1,2}:\d{2}$":
        return "time of day (`08:30`; `24:00` ends the day)"
    if "examples" in node:
        return "weekdays (" + ", ".join(f"`{example}`" for example in node["examples"]) + ")"
    return "text"


def _number_text(node: Schema) -> str:
    whole = node.get("type") == "integer"
    if node.get("minimum") == 0 and node.get("maximum") == 1:
        return "share, 0 to 1"
    noun = "whole number" if whole else "number"
    if "exclusiveMinimum" in node:
        return f"{noun} > {node['exclusiveMinimum']}"
    if "minimum" in node and "maximum" in node:
        return f"{noun}, {node['minimum']} to {node['maximum']:,}"
    return f"{noun} ≥ {node['minimum']}" if "minimum" in node else noun


def _is_duration(node: Schema) -> bool:
    return any(str(option.get("description", "")).startswith(_DURATION_NOTE)
               for option in _options(node))


def default_text(node: Schema, required: bool) -> str:
    """A field's default as a user would write it."""
    if required:
        return "**required**"
    value = node.get("default")
    if value is None or value in ({}, []):
        return "not set" if value is None else "none"
    if _is_distribution(node) and isinstance(value, dict) and value.get("dist") != "fixed":
        return _distribution_default(value)
    if _is_distribution(node) and isinstance(value, dict):
        value = float(value["value"])
    elif not _is_duration(node) or not isinstance(value, int | float):
        return _plain_default(node, value)
    return f"`{format_duration(float(value))}`" if value else "`0`"


def _distribution_default(value: dict[str, Any]) -> str:
    """``{"dist": "exponential", "mean": 30.0}`` → ``{dist: exponential, mean: 30m}``."""
    parts = [f"{key}: {format_duration(float(number)) if key != 'shape' else number}"
             if isinstance(number, int | float) and key != "dist" else f"{key}: {number}"
             for key, number in value.items() if number is not None]
    return "`{" + ", ".join(parts) + "}`"


def _plain_default(node: Schema, value: Any) -> str:
    if isinstance(value, dict) and _ref_name(node):
        return "the section's own defaults"
    text = json.dumps(value, ensure_ascii=False)
    return f"`{text}`" if len(text) <= 40 else "see the section"


# --- examples from the shipped scenarios ------------------------------------------------------

@dataclass
class _Examples:
    definitions: Schema
    found: dict[tuple[str, str], tuple[str, Any]] = field(default_factory=dict)

    def visit(self, model: str, document: dict[str, Any], source: str) -> None:
        properties = self.definitions[model]["properties"]
        for key, value in document.items():
            if key not in properties:
                continue
            self.found.setdefault((model, key), (source, value))
            self.descend(properties[key], value, source)

    def descend(self, node: Schema, value: Any, source: str) -> None:
        if _is_distribution(node):
            if isinstance(value, dict) and value.get("dist") in _distribution_names(self.definitions):
                self.visit(_distribution_names(self.definitions)[value["dist"]], value, source)
            return
        for option in _options(node):
            name = _ref_name(option)
            if name and isinstance(value, dict):
                self.visit(name, value, source)
            elif option.get("type") == "array" and isinstance(value, list):
                for item in value:
                    self.descend(option.get("items", {}), item, source)
            elif option.get("type") == "object" and isinstance(value, dict) \
                    and isinstance(option.get("additionalProperties"), dict):
                for item in value.values():
                    self.descend(option["additionalProperties"], item, source)


def _distribution_names(definitions: Schema) -> dict[str, str]:
    return {props["properties"]["dist"]["const"]: name for name, props in definitions.items()
            if "dist" in props.get("properties", {})}


def scenario_files() -> list[Path]:
    """The shipped scenarios, the baseline first (its values carry their sources)."""
    files = sorted(SCENARIOS.rglob("*.yaml"))
    return sorted(files, key=lambda path: path.name != "baseline.yaml")


def _examples(definitions: Schema, top: Schema) -> dict[tuple[str, str], tuple[str, Any]]:
    examples = _Examples({**definitions, "Scenario": top})
    for path in scenario_files():
        document = yaml.safe_load(path.read_text())
        if isinstance(document, dict):
            examples.visit("Scenario", document, path.relative_to(ROOT).as_posix())
    return examples.found


#: Examples of a key no shipped scenario uses, by how its type begins (first match wins).
_SYNTAX_SAMPLES: tuple[tuple[str, str], ...] = (
    ("[distribution]", "15m"), ("`true`", "true"), ("list of list", "[[...24 shares], ...7 rows]"),
    ("map of name → [distribution]", "{P1: 30m, P2: 2h}"),
    ("map of name → map", "{1: {1: 0.2, 2: 0.8}, 2: {2: 1.0}}"), ("number >", "0.5"),
    ("list of duration", "[10m, 2h]"),
    ("list of text", "[executives, customers]"), ("map of name → duration", "{0.0: 1m, 0.5: 20m, 1.0: 4h}"),
    ("duration", "15m"), ("rate", "120/day"), ("share", "0.5"), ("whole number", "2"),
    ("number", "100"), ("time of day", "'08:00'"), ("date", "2026-12-25"), ("text", "name"),
)


def _syntax_example(key: str, node: Schema) -> str:
    """An example of a key no shipped scenario uses, made from its type."""
    text = type_text(node)
    if text.endswith("section"):
        return ""
    if "enum" in node or "const" in node:
        return f"`{key}: {node.get('const', (node.get('enum') or [''])[0])}` (syntax)"
    sample = next((sample for prefix, sample in _SYNTAX_SAMPLES if text.startswith(prefix)), "")
    return f"`{key}: {sample}` (syntax)" if sample else ""


def _example_text(key: str, found: tuple[str, Any] | None) -> str:
    if found is None:
        return ""
    source, value = found
    text = yaml.safe_dump({key: value}, default_flow_style=True, allow_unicode=True,
                          width=10_000).strip()[1:-1]
    if len(text) > 70:
        return f"see `{source}`"
    return f"`{text}` ({Path(source).name})"


# --- the page ----------------------------------------------------------------------------------

def _children(node: Schema, path: str) -> Iterator[tuple[str, str]]:
    """The sections a field holds, with the path each is written at."""
    if _is_distribution(node):
        return
    for option in _options(node):
        name = _ref_name(option)
        if name:
            yield name, path
        elif option.get("type") == "array":
            yield from _children(option.get("items", {}), f"{path}[]")
        elif isinstance(option.get("additionalProperties"), dict):
            yield from _children(option["additionalProperties"], f"{path}.<name>")


def _sections(definitions: Schema, top: Schema) -> list[tuple[str, str, Schema]]:
    """Every section reachable from the top, depth first, with the path it is first written at."""
    order: list[tuple[str, str, Schema]] = []
    seen: set[str] = set()

    def visit(name: str, path: str, schema: Schema) -> None:
        seen.add(name)
        order.append((name, path, schema))
        prefix = "" if name == "Scenario" else f"{path}."
        for key, node in schema.get("properties", {}).items():
            for child, child_path in _children(node, f"{prefix}{key}"):
                if child not in seen and child in definitions:
                    visit(child, child_path, definitions[child])

    visit("Scenario", "(the file)", top)
    return order


def scenario_reference() -> str:
    """The scenario language's every key, generated from the pydantic models."""
    full = Scenario.model_json_schema(by_alias=True)
    definitions: Schema = full.pop("$defs", {})
    comments = field_comments()
    examples = _examples(definitions, full)
    distributions = set(_distribution_names(definitions).values())
    parts: list[str] = []
    sections = _sections(definitions, full)
    for name, path, schema in (s for s in sections if s[0] not in distributions):
        parts.append(_section(name, path, schema, comments, examples, definitions))
    parts.append("(distributions)=\n### Distributions\n\nA duration drawn at random is one of these, "
                 "chosen by its `dist` key; a plain duration such as `\"10m\"` is a fixed value.\n")
    for name in sorted(distributions):
        parts.append(_section(name, "(any distribution)", definitions[name], comments, examples,
                              definitions))
    listed = {name for name, _, _ in sections} | distributions
    missing = sorted(set(definitions) - listed)
    assert not missing, f"sections the reference does not reach: {missing}"
    return "\n".join(parts)


def _held_section_meaning(node: Schema, definitions: Schema) -> str:
    """For a key that holds sections: the first sentence of the section's docstring."""
    if _is_distribution(node):
        return ""
    for name, _ in _children(node, ""):
        return _first_sentence(str(definitions[name].get("description", "")))
    return ""


def _first_sentence(text: str) -> str:
    paragraph = _first_paragraph(text)
    return paragraph.split(". ", 1)[0].rstrip(".")


def _section(name: str, path: str, schema: Schema, comments: dict[tuple[str, str], str],
             examples: dict[tuple[str, str], tuple[str, Any]], definitions: Schema) -> str:
    heading = "Scenario (top level)" if name == "Scenario" else name
    level = "####" if path == "(any distribution)" else "###"
    lines = [f"({_anchor(name)})=", f"{level} {heading}", ""]
    if name != "Scenario" and level == "###":
        lines += [f"Written at `{path}`.", ""]
    description = _first_paragraph(str(schema.get("description", "")))
    if description:
        lines += [description, ""]
    lines += ["| key | type and unit | default | meaning | example |", "|---|---|---|---|---|"]
    required = set(schema.get("required", []))
    for key, node in schema.get("properties", {}).items():
        meaning = _cell(comments.get((name, key)) or _held_section_meaning(node, definitions))
        example = _example_text(key, examples.get((name, key))) or _syntax_example(key, node)
        lines.append(f"| `{key}` | {_cell(type_text(node))} | {_cell(default_text(node, key in required))} "
                     f"| {meaning} | {_cell(example)} |")
    return "\n".join(lines) + "\n"


def _first_paragraph(text: str) -> str:
    paragraph = text.strip().split("\n\n", 1)[0]
    return " ".join(paragraph.split()).replace("``", "`")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def kpi_reference() -> str:
    """Every KPI of the catalogue, family by family."""
    titles = {
        Family.INCIDENT: "Incident KPIs (overall and per priority)",
        Family.TEAM: "Team KPIs (per team)",
        Family.COST: "Cost KPIs (overall)",
        Family.OUTAGE: "Outage KPIs (overall)",
        Family.SERVICE: "Service KPIs (per service)",
        Family.CHANGE: "Change and problem KPIs (overall)",
        Family.MONTH: "Monthly KPIs (per 30-day month after the warm-up)",
        Family.CHANNEL: "Channel KPIs (per channel: phone, chat, portal, ...)",
    }
    parts: list[str] = []
    for family in Family:
        parts += [f"({family.value}-kpis)=", f"### {titles[family]}", "",
                  f"Written as {family.scopes}.", "",
                  "| KPI | unit | definition |", "|---|---|---|"]
        parts += [f"| `{kpi.name}` | {kpi.unit.value} | {_cell(kpi.definition)} |"
                  for kpi in KPIS if kpi.family is family]
        parts.append("")
    return "\n".join(parts)


def price_reference(file: Path = SCENARIOS / "with-mim.yaml") -> str:
    """Every price a scenario sets (the ROI pair's: ``without-mim.yaml`` only switches the
    process off), with its range and source as the file writes them."""
    from simulator.experiment.uncertainty import UncertainInput, price_leaves
    from simulator.scenario.estimates import Estimate
    from simulator.scenario.loader import load_scenario

    rows = ["| key | range (a run uses the mode) | source |", "|---|---|---|"]
    for path, value in price_leaves(load_scenario(file)).items():
        if isinstance(value, Estimate) and value.uncertain:
            shown = UncertainInput(path, value.low, value.mode, value.high, value.shape,
                                   value.source).describe()
        elif value:
            shown = f"fixed {float(value):,.4g}"
        else:
            continue  # not set (zero): nothing to source
        source = (value.source if isinstance(value, Estimate) and value.source else
                  "a count of users; its basis in the file's comment")
        rows.append(f"| `{path}` | {shown} | {_cell(source)} |")
    return "\n".join(rows) + "\n"


#: The generated parts of pages, by the name their marker gives.
GENERATORS: dict[str, Callable[[], str]] = {
    "scenario-keys": scenario_reference,
    "kpis": kpi_reference,
    "prices": price_reference,
}


def expand(text: str) -> str:
    """A page's Markdown with each marker replaced by its generated part."""
    return MARKER.sub(lambda match: GENERATORS[match.group(1)](), text)


def _source_read(app: Any, docname: str, source: list[str]) -> None:
    source[0] = expand(source[0])


def _always_regenerated(app: Any, env: Any, added: set[str], changed: set[str],
                        removed: set[str]) -> list[str]:
    """The pages with generated parts are read again on every build: the code may have changed."""
    source = Path(app.srcdir)
    return [path.relative_to(source).with_suffix("").as_posix() for path in source.rglob("*.md")
            if "_build" not in path.parts and MARKER.search(path.read_text())]


def setup(app: Any) -> dict[str, Any]:
    """Register the generated parts with Sphinx."""
    app.connect("source-read", _source_read)
    app.connect("env-get-outdated", _always_regenerated)
    return {"version": "1", "parallel_read_safe": True}
