"""The ``leadflow`` command line (Typer + Rich)."""
