"""Files that are not ordinary text, and real logs that are not what they claim: one line, exit 2.

Every class of issue 13 items 1 and 5 (``tests/bad_inputs.py``), made in ``tmp_path``: the
command exits with code 2 and prints exactly one line on stderr, naming the file or option at
fault and the limit or expectation it broke — no traceback, no "internal error", nothing on
stdout. (Time and memory are measured by ``benchmarks/bench_bad_inputs.py``, not here.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bad_inputs import ALL, BadInput
from tests.helpers import run_cli


@pytest.mark.parametrize("case", ALL, ids=[case.name for case in ALL])
def test_each_bad_file_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            case: BadInput) -> None:
    arguments = case.make(tmp_path)
    code, out, err = run_cli(arguments, capsys)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err and "internal error" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith(case.names(tmp_path)), lines[0]
    assert case.fragment in lines[0], lines[0]


def test_the_catalogue_covers_every_class_of_the_issue() -> None:
    names = {case.name for case in ALL}
    for wanted in ("alias bomb", "lists nested 5,000 deep", "mappings nested 5,000 deep",
                   "a 5,000-digit integer", "a 50 MB file", "/dev/zero", "/dev/urandom", "a FIFO",
                   "a directory", "extends: a loop", "extends: /dev/zero", "a .zip that is not a zip",
                   "a zip without a CSV", "a CSV without its header row", "the wrong encoding",
                   "a mapping naming missing columns"):
        assert wanted in names
