"""Experiment layer: a Dask scheduler's address — read, checked, and reached within a time-out.

``--dask`` takes ``local`` (a LocalCluster on this machine) or the address of a running
scheduler, ``[PROTOCOL://]HOST:PORT`` with PROTOCOL one of tcp (the default), tls, ws or wss.
Before any work starts, :func:`reach_scheduler` opens a TCP connection to HOST:PORT and then
greets it as Dask does (its comm handshake), all within the connect time-out
(``--dask-timeout``, default 10 s), so that a typo, a scheduler that is not running, a host that
does not exist or a port where something else listens is one line naming the address and what
was tried, instead of a hang and a traceback.
"""

from __future__ import annotations

import queue
import re
import socket
import threading
import time
from dataclasses import dataclass

from simulator.experiment.refusal import RefusedError

__all__ = ["DEFAULT_CONNECT_TIMEOUT_S", "LOCAL", "SchedulerAddress", "SchedulerError",
           "parse_scheduler_address", "reach_scheduler"]

LOCAL = "local"
DEFAULT_CONNECT_TIMEOUT_S = 10.0
_PROTOCOLS = ("tcp", "tls", "ws", "wss")
_ADDRESS = re.compile(r"^(?:(?P<protocol>[A-Za-z0-9+.-]+)://)?"
                      r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/\[\]\s]+)(?::(?P<port>[^/]*))?$")
_EXAMPLE = "'local' or a scheduler address such as tcp://host:8786"
_RETRY_EVERY_S = 0.25


class SchedulerError(RefusedError):
    """A Dask address that is malformed or cannot be reached; ``str(error)`` is one line."""

    def __init__(self, address: str, expected: str, found: str, option: str | None = "--dask") -> None:
        where = f"{option} {address!r}" if option else repr(address)
        super().__init__(f"{where}: expected {expected}; found {found}")


@dataclass(frozen=True)
class SchedulerAddress:
    """A scheduler's address, read: protocol, host and port."""

    protocol: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}"


def parse_scheduler_address(text: str, option: str | None = "--dask") -> SchedulerAddress | None:
    """``local`` → None; ``[PROTOCOL://]HOST:PORT`` → its parts; anything else → SchedulerError."""
    stripped = text.strip()
    if stripped == LOCAL:
        return None
    if not stripped:
        raise SchedulerError(text, _EXAMPLE, "an empty address", option)
    match = _ADDRESS.match(stripped)
    if match is None:
        raise SchedulerError(text, _EXAMPLE, "text that is not HOST:PORT", option)
    protocol = (match.group("protocol") or "tcp").lower()
    if protocol not in _PROTOCOLS:
        raise SchedulerError(text, f"a protocol among {', '.join(_PROTOCOLS)}",
                             f"{protocol!r}", option)
    port = match.group("port")
    if port is None:
        raise SchedulerError(text, f"{_EXAMPLE} (a scheduler listens on 8786 unless told "
                                   f"otherwise)", "no port", option)
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise SchedulerError(text, "a port number from 1 to 65535", f"{port!r}", option)
    return SchedulerAddress(protocol, match.group("host"), int(port))


def _resolve(address: SchedulerAddress, timeout_s: float, option: str | None
             ) -> list[tuple[socket.AddressFamily, tuple[str, int]]]:
    """The host's socket addresses; a name server that does not answer in time is an error too."""
    answer: queue.Queue[object] = queue.Queue()

    def resolve() -> None:
        try:
            answer.put(socket.getaddrinfo(address.host.strip("[]"), address.port,
                                          type=socket.SOCK_STREAM))
        except OSError as error:
            answer.put(error)

    threading.Thread(target=resolve, daemon=True, name="resolve-scheduler").start()
    try:
        found = answer.get(timeout=timeout_s)
    except queue.Empty:
        raise SchedulerError(str(address), "a host name that resolves within the connect time-out "
                             f"({timeout_s:g} s; --dask-timeout)",
                             f"no answer about {address.host!r}", option) from None
    if isinstance(found, OSError):
        reason = found.strerror or type(found).__name__
        raise SchedulerError(str(address), "a host name that resolves",
                             f"{address.host!r} unknown ({reason.lower()})", option)
    assert isinstance(found, list)
    return [(family, sockaddr[:2]) for family, _, _, _, sockaddr in found]


def _connect_once(targets: list[tuple[socket.AddressFamily, tuple[str, int]]],
                  timeout_s: float) -> None:
    error: OSError = OSError("no address")
    for family, sockaddr in targets:
        with socket.socket(family, socket.SOCK_STREAM) as connection:
            connection.settimeout(max(timeout_s, 0.01))
            try:
                connection.connect(sockaddr)
                return
            except OSError as failed:
                error = failed
    raise error


def reach_scheduler(address: SchedulerAddress, timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
                    option: str | None = "--dask") -> None:
    """Open (and close) a TCP connection to the scheduler, retrying until ``timeout_s`` is spent.

    A scheduler that is starting up answers within the time-out; a host that does not exist,
    a port nobody listens on, or a network that drops the packets is a SchedulerError saying
    what was tried and what came back.
    """
    deadline = time.monotonic() + timeout_s
    targets = _resolve(address, timeout_s, option)  # an unknown host is not retried
    attempts = 0
    while True:
        attempts += 1
        try:
            _connect_once(targets, deadline - time.monotonic())
            break
        except OSError as error:
            last = error.strerror or type(error).__name__
            if isinstance(error, TimeoutError | socket.timeout):
                last = "no answer"
            if time.monotonic() + _RETRY_EVERY_S >= deadline:
                tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
                raise SchedulerError(
                    str(address), f"a Dask scheduler answering within the connect time-out "
                    f"({timeout_s:g} s; --dask-timeout)",
                    f"no connection to {address.host} port {address.port} ({tries}; last: "
                    f"{last.lower()})", option) from None
            time.sleep(_RETRY_EVERY_S)
    _handshake(address, max(deadline - time.monotonic(), 1.0), timeout_s, option)


def _handshake(address: SchedulerAddress, timeout_s: float, stated_s: float, option: str | None) -> None:
    """Something listens at the address: check that it speaks Dask (its comm handshake) in the
    ``timeout_s`` left of the connect time-out the user gave (``stated_s``, named in the message)."""
    import asyncio  # here: every command that can run on Dask imports this module

    try:
        from distributed.comm import connect
    except ImportError:  # pragma: no cover - the test extra installs it
        raise SchedulerError(str(address), 'the "distributed" package (pip install "mimsim[dask]")',
                             "it is not installed", option) from None

    async def greet() -> None:
        comm = await connect(str(address), timeout=timeout_s)
        await comm.close()

    async def greet_in_time() -> None:  # Dask's own time-out does not cover a silent peer
        await asyncio.wait_for(greet(), timeout_s)

    try:
        asyncio.run(greet_in_time())
    except Exception as error:  # whatever answered, it was not a Dask scheduler
        reason = f"{type(error).__name__}: {error}" if str(error) else "no answer"
        raise SchedulerError(str(address), "a Dask scheduler at this address",
                             f"something at {address.host} port {address.port} that did not answer "
                             f"as one within {stated_s:g} s ({reason[:120]})", option) from None
