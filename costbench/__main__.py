"""``python -m costbench`` runs the CLI."""

from costbench.cli import main

main()
