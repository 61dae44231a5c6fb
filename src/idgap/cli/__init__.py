"""The `idgap` command line: thin commands that parse, call one service, and print."""
