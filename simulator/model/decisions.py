"""Model layer: decision points — where a person may decide instead of the scenario's policy.

A major incident has moments where someone must choose: declare it or not yet,
which resolver groups to page, how to restore (a workaround, a rollback, an
emergency change), which approvers to call to the ECAB. In a batch run the
scenario's policy answers at once, and the model goes on exactly as if nothing
had been asked. In an interactive run (the tabletop mode) the question waits in
:attr:`DecisionPoints.pending` with the simulation clock stopped at that
moment, until :meth:`DecisionPoints.answer` is called; the process that asked
then goes on at the same simulated minute.

Each decision has a *key* that a replay reproduces: its kind, the case it is
about, and how many times that question has been asked about that case, so
that recorded answers can be given again to the same questions.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import simpy

__all__ = ["Decision", "DecisionPoints"]


@dataclass(frozen=True)
class Decision:
    """A question the model asks."""

    key: str  # "<kind>:<case id>:<n>", the same in every replay
    kind: str  # "declare", "page", "restore", "approvers"
    minute: float  # simulation minute when it was asked
    case: str  # the outage (or change) it is about
    question: str
    options: tuple[str, ...]
    default: str  # the scenario's policy (for several choices: comma-separated)
    several: bool = False  # True: the answer is any non-empty subset of the options

    def parse(self, answer: str) -> str:
        """The answer, checked against the options (normalised for several choices).

        Raises ``ValueError`` for anything else: an answer is data, never code.
        """
        if not self.several:
            if answer not in self.options:
                raise ValueError(f"expected one of {', '.join(self.options)}; found {answer!r}")
            return answer
        chosen = [part.strip() for part in answer.split(",") if part.strip()]
        unknown = [part for part in chosen if part not in self.options]
        if not chosen or unknown:
            raise ValueError(f"expected one or more of {', '.join(self.options)} (comma-separated); "
                             f"found {answer!r}")
        return ",".join(option for option in self.options if option in chosen)


class DecisionPoints:
    """Asks the decisions of one run: the policy answers, or a person does."""

    def __init__(self, env: simpy.Environment, interactive: bool = False) -> None:
        self.env = env
        self.interactive = interactive
        self.pending: dict[str, tuple[Decision, Callable[[str], object]]] = {}
        self._asked: dict[tuple[str, str], int] = {}

    def choose(self, kind: str, case: str, question: str, options: tuple[str, ...], default: str,
               several: bool = False) -> Generator[simpy.Event, str, str]:
        """Ask, in a process: ``answer = yield from decisions.choose(...)``.

        In a batch run the policy (``default``) answers at once and the process goes on without
        yielding, exactly as if nothing had been asked; in an interactive run it waits, with the
        clock stopped, until :meth:`answer` is called.
        """
        if not self.interactive:
            return default
        count = self._asked.get((kind, case), 0) + 1
        self._asked[(kind, case)] = count
        decision = Decision(f"{kind}:{case}:{count}", kind, float(self.env.now), case, question,
                            options, default, several)
        answered = self.env.event()
        self.pending[decision.key] = (decision, answered.succeed)
        answer: str = yield answered
        return answer

    def answer(self, key: str, answer: str) -> str:
        """Answer a pending decision now; returns the answer as the model took it.

        The process that asked goes on when the simulation next runs, at the same minute."""
        if key not in self.pending:
            raise KeyError(f"no pending decision {key!r}")
        decision, then = self.pending[key]
        parsed = decision.parse(answer)
        del self.pending[key]
        then(parsed)
        return parsed
