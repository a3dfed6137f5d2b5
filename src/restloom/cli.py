"""The ``restloom`` command line: thin — parse arguments, call the library, print the summary."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Declarative REST APIs into a database.")


def _register_subcommands() -> None:
    from restloom.testing.cli import mock_app

    app.add_typer(mock_app, name="mock", help="Run the simulated APIs.")


def main() -> None:
    """Entry point of the ``restloom`` script."""
    _register_subcommands()
    app()
