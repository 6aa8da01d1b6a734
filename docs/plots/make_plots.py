"""Make the README's images: each `$ losscli plot KIND ... -o terminal` command of the README,
run from the repository's root with `--out docs/plots/KIND.png` instead.

    python docs/plots/make_plots.py      # needs the plot extra: pip install -e '.[plot]'
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    for line in (ROOT / "README.md").read_text().splitlines():
        if not line.startswith("$ losscli plot ") or "-o terminal" not in line:
            continue
        args = shlex.split(line[2:].replace("-o terminal", ""))
        out = ROOT / "docs" / "plots" / f"{args[2]}.png"
        command = [sys.executable, "-m", "losscli", *args[1:], "--out", str(out)]
        subprocess.run(command, cwd=ROOT, check=True)
        if args[2] == "residuals":  # two figures: residuals-1.png, residuals-2.png
            continue


if __name__ == "__main__":
    main()
