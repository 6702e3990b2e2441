"""One module per CLI verb; `costplan.cli.COMMANDS` maps names to them."""
