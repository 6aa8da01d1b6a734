from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from losscli.cli import cli

collect_ignore = ["fixtures"]

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "sample_data" / "regression"
FIXTURES = json.loads((ROOT / "tests" / "fixtures" / "regression.json").read_text())


class Run:
    def __init__(self, result):
        self.code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr

    def json(self):
        return json.loads(self.stdout)

    def value(self, i: int = 0) -> float:
        return self.json()["results"][i]["value"]


@pytest.fixture
def run():
    """Invoke the CLI in-process; returns exit code, stdout and stderr separately."""

    def invoke(*args: str, input: str | bytes | None = None) -> Run:
        runner = CliRunner()
        return Run(runner.invoke(cli, [str(a) for a in args], input=input))

    return invoke


def write_csv(
    path: Path, columns: dict[str, np.ndarray], header: bool = True, sep: str = ","
) -> Path:
    lines = [sep.join(columns)] if header else []
    for row in zip(*columns.values()):
        lines.append(sep.join(repr(float(v)) for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path
