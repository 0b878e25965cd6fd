"""`python -m fouille` runs the `fouille` command."""

from .cli import main

main(prog_name="fouille")
