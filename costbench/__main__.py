"""``python -m costbench`` runs the CLI."""

from costbench.cli import main

if __name__ == "__main__":  # worker processes (report charts) import this module again
    main()
