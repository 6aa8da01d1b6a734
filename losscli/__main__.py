"""``python -m losscli``: the command line."""

from losscli.cli import main

main()
