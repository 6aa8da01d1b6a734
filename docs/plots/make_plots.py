"""Make the README's images: each `$ losscli plot KIND ... -o terminal` command of the README,
run from the repository's root with `--out docs/plots/KIND.png` instead, and each README
command writing `--out NAME.png`, with `--out docs/plots/NAME.png`.

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
        if not line.startswith("$ losscli "):
            continue
        args = shlex.split(line[2:])
        if "--out" in args and args[args.index("--out") + 1].endswith(".png"):
            at = args.index("--out") + 1
            args[at] = str(ROOT / "docs" / "plots" / args[at])
            command = [sys.executable, "-m", "losscli", *args[1:]]
            subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            continue
        if args[1] != "plot" or "terminal" not in args:
            continue
        at = args.index("terminal")
        del args[at - 1 : at + 1]
        out = ROOT / "docs" / "plots" / f"{args[2]}.png"
        command = [sys.executable, "-m", "losscli", *args[1:], "--out", str(out)]
        subprocess.run(command, cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
