"""`python -m costplan` is the `costplan` command."""

from costplan.cli import main

main()
