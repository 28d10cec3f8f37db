"""Scenario layer: YAML text read safely, remembering the line of every key.

Scenario files and column mappings are YAML. YAML can describe far more than a
scenario needs: aliases that expand to billions of nodes from a few hundred
bytes ("billion laughs"), nesting thousands of levels deep (which overflows the
parser's recursion), integers of thousands of digits. Before anything is built,
one pass over the parser's events (no recursion, no expansion) checks the
limits below; a document that breaks one is refused with one line naming the
file, the line and the limit. Only then is the document composed and built.

Limits (a scenario is a few thousand nodes, at most ten levels deep):

* :data:`MAX_NODES` nodes once aliases are expanded;
* :data:`MAX_DEPTH` levels of nested lists and mappings;
* :data:`MAX_NUMBER_DIGITS` characters in a number.

The file itself is read by :mod:`simulator.scenario.files` (regular files only,
at most 1 MB).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import yaml

from simulator.scenario.errors import Problem, ScenarioError

__all__ = ["MAX_DEPTH", "MAX_NODES", "MAX_NUMBER_DIGITS", "LineMap", "read_yaml", "yaml_value"]

#: The most nodes (keys, values, list items) a document may hold once aliases are expanded.
MAX_NODES = 100_000
#: The deepest nesting of lists and mappings a document may have.
MAX_DEPTH = 50
#: The longest number a document may write (a 128-bit seed has 39 digits).
MAX_NUMBER_DIGITS = 40

_BaseLoader: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc]
    """YAML 1.1 without its sexagesimal numbers, so that ``end: 16:00`` stays a time."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
               r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))

_TOO_DEEP = f"expected lists and mappings nested at most {MAX_DEPTH} levels deep; found deeper nesting"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")

LineMap = dict[tuple[str, ...], int]


class _Limits:
    """Counts nodes and depth over a stream of parser events, with aliases expanded by size."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.nodes = 0
        self.open: list[tuple[str | None, int]] = []  # (anchor, nodes before it) per open collection
        self.sizes: dict[str, int] = {}  # anchor → nodes it stands for

    def see(self, event: yaml.Event) -> str | None:
        """Account for one event; return the limit it breaks, if any."""
        if isinstance(event, yaml.ScalarEvent):
            return self._scalar(event)
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event)
        if isinstance(event, yaml.CollectionStartEvent):
            self.open.append((event.anchor, self.nodes))
            self.nodes += 1
            if len(self.open) > MAX_DEPTH:
                return _TOO_DEEP
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before = self.open.pop()
            if anchor is not None:
                self.sizes[anchor] = self.nodes - before
        return self._count()

    def _scalar(self, event: yaml.ScalarEvent) -> str | None:
        self.nodes += 1
        if event.anchor is not None:
            self.sizes[event.anchor] = 1
        if len(event.value) > MAX_NUMBER_DIGITS and event.implicit[0] and \
                self.loader.resolve(yaml.ScalarNode, event.value, event.implicit) in _NUMBER_TAGS:
            return (f"expected numbers of at most {MAX_NUMBER_DIGITS} digits; found a number "
                    f"{len(event.value):,} characters long")
        return self._count()

    def _alias(self, event: yaml.AliasEvent) -> str | None:
        if any(anchor == event.anchor for anchor, _ in self.open):
            return (f"expected data without recursive aliases; found *{event.anchor} inside "
                    f"the &{event.anchor} it refers to")
        self.nodes += self.sizes.get(str(event.anchor), 1)  # an unknown anchor: the parser says so
        return self._count()

    def _count(self) -> str | None:
        if self.nodes > MAX_NODES:
            return (f"expected at most {MAX_NODES:,} YAML nodes once aliases are expanded; found "
                    f"more (aliases that expand to a huge document?)")
        return None


def _check_limits(text: str, source: str) -> None:
    """Refuse a document that breaks a limit, before anything is composed."""
    loader = _Loader(text)
    limits = _Limits(loader)
    try:
        while loader.check_event():
            event = loader.get_event()
            broken = limits.see(event)
            if broken is not None:
                raise ScenarioError([Problem((), broken, source, event.start_mark.line + 1)])
    finally:
        loader.dispose()


def _syntax_error(error: yaml.YAMLError, source: str) -> ScenarioError:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    reason = getattr(error, "problem", None) or str(error)
    if "nesting depth" in reason:  # libyaml's own limit (1,000 levels) can come first
        return ScenarioError([Problem((), _TOO_DEEP, source, line)])
    return ScenarioError([Problem((), f"expected valid YAML; found a syntax error: {reason}",
                                  source, line)])


def _walk(node: yaml.Node, path: tuple[str, ...], lines: LineMap,
          problems: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            here = (*path, key)
            if key in seen:
                problems.append(Problem(here, "expected each key once; found it again (a duplicate "
                                              "key: the earlier value would be ignored)",
                                        line=key_node.start_mark.line + 1))
            seen.add(key)
            lines[here] = key_node.start_mark.line + 1
            _walk(value_node, here, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*path, str(index))
            lines[here] = item.start_mark.line + 1
            _walk(item, here, lines, problems)


def _compose(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The document's node graph and its data, within the limits."""
    _check_limits(text, source)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def read_yaml(text: str, source: str) -> tuple[Any, LineMap]:
    """Parse YAML text within the limits; return the data and the line of every key path.

    Raises
    ------
    ScenarioError
        For a syntax error, a broken limit or a duplicate key: one problem each, with its line.
    """
    try:
        node, data = _compose(text, source)
    except yaml.YAMLError as error:
        raise _syntax_error(error, source) from None
    except (ValueError, OverflowError) as error:  # a date such as 2026-02-30
        raise ScenarioError([Problem((), f"expected valid YAML values; found one that cannot be "
                                         f"read ({error})", source)]) from None
    lines: LineMap = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), lines, problems)
    if problems:
        raise ScenarioError(item.located(source, item.line) for item in problems)
    return data, lines


def yaml_value(text: str, source: str) -> Any:
    """One value written as YAML (a ``--set`` value), or the text itself if it is not YAML.

    Raises
    ------
    ScenarioError
        If the value breaks a limit (an alias bomb fits on a command line).
    """
    try:
        return _compose(text, source)[1]
    except (yaml.YAMLError, ValueError, OverflowError):
        return text
    except ScenarioError as error:  # a broken limit: the value is one line, no line numbers
        raise ScenarioError(replace(problem, line=None) for problem in error.problems) from None
