from losscli.cli import main

main()
