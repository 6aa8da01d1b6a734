"""The README's console examples: every ``$ ...`` line of a ```console block is run in a copy
of the repository's sample_data/ and must print what the README shows below it.

``python tests/readme_examples.py --update`` rewrites the shown outputs after a deliberate
change (review the diff); the test ``tests/test_readme.py`` fails whenever they drift.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```console\n(.*?)^```\n", re.S | re.M)


@dataclass
class Example:
    command: str
    shown: str  # the lines the README shows under the command
    start: int  # character offsets of the shown text in the README
    end: int


def examples(text: str) -> list[Example]:
    out = []
    for block in BLOCK.finditer(text):
        body_start = block.start(1)
        lines = block.group(1).splitlines(keepends=True)
        offset = body_start
        current: Example | None = None
        for line in lines:
            if line.startswith("$ "):
                if current is not None:
                    out.append(current)
                start = offset + len(line)
                current = Example(line[2:].strip(), "", start, start)
            elif current is not None:
                current.shown += line
                current.end = offset + len(line)
            offset += len(line)
        if current is not None:
            out.append(current)
    return out


# A command of losscli alone (no pipe, redirection or variable), perhaps after a ``cd``: run
# in this process, as the shell would run it but without a Python start-up each.
IN_PROCESS = re.compile(r"(?:cd (?P<dir>[\w/.-]+) && )?losscli (?P<args>[^|&;<>$`]*)")


def _in_process(command: str, scratch: str, env: dict[str, str]) -> tuple[str, int] | None:
    import shlex

    from click.testing import CliRunner

    from losscli.cli import cli

    match = IN_PROCESS.fullmatch(command)
    if match is None:
        return None
    where = os.path.join(scratch, match.group("dir") or "")
    before = os.getcwd()
    os.chdir(where)
    try:
        unset: dict[str, str | None] = {"GITHUB_ACTIONS": None, "GITHUB_STEP_SUMMARY": None}
        runner = CliRunner(env={**env, **unset})
        result = runner.invoke(cli, shlex.split(match.group("args")))
    finally:
        os.chdir(before)
    return result.output, result.exit_code


def run_all(items: list[Example]) -> list[tuple[str, int]]:
    """(output, exit status) of each command, in order, in one scratch copy of sample_data/:
    commands of losscli alone run in this process, the others in bash."""
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copytree(ROOT / "sample_data", Path(scratch) / "sample_data")
        env = {
            **os.environ,
            "NO_COLOR": "1",
            "LOSSCLI_PYTHON": sys.executable,
            "COLUMNS": "200",
        }
        env.pop("GITHUB_ACTIONS", None)
        env.pop("GITHUB_STEP_SUMMARY", None)
        status = 0
        for item in items:
            if item.command == "echo $?":
                results.append((f"{status}\n", 0))
                continue
            done_here = _in_process(item.command, scratch, env)
            if done_here is not None:
                status = done_here[1]
                results.append(done_here)
                continue
            script = 'losscli() { "$LOSSCLI_PYTHON" -m losscli "$@"; }\n' + item.command
            done = subprocess.run(
                ["bash", "-c", script],
                cwd=scratch,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            status = done.returncode
            results.append((done.stdout, status))
    return results


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.rstrip("\n").splitlines())


def update() -> None:
    text = README.read_text()
    items = examples(text)
    for item, (output, _) in reversed(list(zip(items, run_all(items)))):
        text = text[: item.start] + output + text[item.end :]
    README.write_text(text)


if __name__ == "__main__" and "--update" in sys.argv:
    update()
