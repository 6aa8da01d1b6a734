"""``python -m losscli``: the command line."""

from losscli.cli.main import main

main()
