"""Issue 24.9: the README's quickstart output is what a run of its command prints. The example
project is applied in a temporary copy with the README's own commands (apply, then show); every
line of the README's output block must appear in the real output, with timings and the absolute
project folder left out, and ``...`` standing for the rest of a line or for omitted lines."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tablespec.cli import run

ROOT = Path(__file__).resolve().parents[2]


def readme_block() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quickstart = text[text.index("## Quickstart"):]
    block = quickstart[quickstart.index("```text\n") + len("```text\n"):]
    return block[: block.index("```")].splitlines()


def normal(line: str) -> str:
    return re.sub(r"\b\d+\.\d+s\b", "Ns", line.rstrip())


def test_the_quickstart_output_is_what_the_commands_print(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    assert run(["apply", "--auto-approve", "--no-progress"]) == 0
    assert run(["show", "sales.orders"]) == 0
    output = [normal(line).replace(str(tmp_path), "...") for line in capsys.readouterr().out.splitlines()]

    for line in readme_block():
        want = normal(line)
        if want.strip() == "...":
            continue
        if "..." in want:
            head = want[: want.index("...")]
            tail = want[want.index("...") + 3:]
            assert any(o.startswith(head) and o.endswith(tail) for o in output), f"README line not shown: {line!r}"
        else:
            assert want in output, f"README line not shown: {line!r}\n" + "\n".join(output)
