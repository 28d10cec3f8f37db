"""CLI layer: ``mimsim tabletop`` — serve a scenario as a live major-incident exercise."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import click
from rich.markup import escape

from simulator.cli.options import stderr
from simulator.cli.outputs import checked_default, tabletop_database

__all__ = ["tabletop"]


@click.command(short_help="Run a tabletop exercise: a facilitator console and players' views.")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on. Only this machine can connect unless you name "
                   "another interface (e.g. 0.0.0.0 for the room's network).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option("--db", "database", type=tabletop_database(), default=None,
              help="The exercise's database (default: SCENARIO's stem + .tabletop.db, here). "
                   "Every round and every action is kept there (readable by you only): restart "
                   "with the same --db to carry on.")
@click.option("--seed", type=int, default=None, help="Seed of every round (default: the scenario's).")
def tabletop(scenario: Path, host: str, port: int, database: Path | None, seed: int | None) -> None:
    """Serve SCENARIO (which needs an `exercise` section) as a tabletop exercise.

    Prints the facilitator console's address, with its token, and the players' address.
    Every team plays its own round with the same seed (unless the facilitator gives a round
    another), so all meet the same incidents; each player joins a round in a role through
    that role's link, which the console shows.
    """
    import uvicorn

    from simulator.tabletop.app import Exercise, create_app

    listening = _listening_socket(host, port)
    database = database or checked_default(tabletop_database(), Path(f"{scenario.stem}.tabletop.db"),
                                           "--db")
    try:
        exercise = Exercise(scenario, database, seed)
    except ValueError as error:  # a database this version cannot resume: one line, exit 2
        raise click.BadParameter(str(error), param_hint="'--db'") from None
    console = stderr()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    console.print(f"[bold]{escape(exercise.exercise.title)}[/] — database {escape(str(database))}",
                  highlight=False, soft_wrap=True)
    console.print(f"facilitator console: http://{shown}:{port}/console?token={exercise.token}",
                  highlight=False, soft_wrap=True)
    console.print(f"players:             http://{shown}:{port}/ (to watch; each player joins through "
                  f"their role's link, which the console shows once a round is open)",
                  highlight=False, soft_wrap=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"listening on {host}: anyone on this network can open the players' view; "
                      "only the token opens the console", highlight=False, soft_wrap=True)
    config = uvicorn.Config(create_app(exercise, host, port), log_level="warning")
    uvicorn.Server(config).run(sockets=[listening])


def _listening_socket(host: str, port: int) -> socket.socket:
    """HOST:PORT bound before anything is printed or written: a port in use is one line, exit 2."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as error:
        raise click.BadParameter(f"expected an interface of this machine to listen on; found {host!r}, "
                                 f"which does not resolve ({error})", param_hint="'--host'") from None
    listening = socket.socket(family, kind, protocol)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind(address)
    except OSError as error:
        listening.close()
        found = {errno.EADDRINUSE: "in use by another program (another exercise?); choose another "
                                   "with --port",
                 errno.EACCES: "one this user may not listen on (ports below 1024 need root)",
                 errno.EADDRNOTAVAIL: "on an address this machine does not have"}.get(
                     error.errno or 0, error.strerror or str(error))
        option = "'--host'" if error.errno == errno.EADDRNOTAVAIL else "'--port'"
        raise click.BadParameter(f"expected a free port to listen on; found {host}:{port} {found}",
                                 param_hint=option) from None
    return listening
