"""Where ``mimsim tabletop`` listens: an address it cannot use is one line, exit 2, nothing written.

The socket is bound before the exercise is loaded, its database made or its addresses printed,
so a port already in use (another exercise left running is the usual case), a host name that does
not resolve, or an address this machine does not have ends before anything changes.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import run_cli

EXERCISE = Path(__file__).parents[2] / "scenarios" / "exercises" / "cloudflare-2019-waf.yaml"


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on loopback that another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def _refused(arguments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    database = tmp_path / "drill.db"
    code, out, err = run_cli(["tabletop", str(EXERCISE), "--db", str(database), *arguments], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "token" not in err and not database.exists()  # nothing printed, nothing written
    return err


def test_a_port_in_use_is_one_line_before_anything_is_written(
        busy_port: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(["--port", str(busy_port)], tmp_path, capsys)
    assert "'--port'" in err and f"127.0.0.1:{busy_port} in use" in err


@pytest.mark.parametrize(("host", "found"), [("nosuch.invalid", "does not resolve"),
                                             ("192.0.2.1", "does not have")])
def test_a_host_it_cannot_listen_on_is_one_line(host: str, found: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(["--host", host], tmp_path, capsys)
    assert "'--host'" in err and host in err and found in err
