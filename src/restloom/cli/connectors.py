"""``restloom connectors``: list the catalog connectors and show one's YAML."""

from __future__ import annotations

from typing import Annotated

import typer

from restloom.catalog import catalog_names, catalog_text, secret_names

__all__ = ["connectors_app"]

connectors_app = typer.Typer(no_args_is_help=True, add_completion=False,
                             help="The connectors shipped in restloom's catalog.")


@connectors_app.command("list")
def list_connectors() -> None:
    """Print each catalog connector's name and the secrets it needs."""
    for name in catalog_names():
        needs = ", ".join(s.upper() for s in secret_names(name))
        typer.echo(f"{name:<14} secrets: {needs}")


@connectors_app.command()
def show(name: Annotated[str, typer.Argument(help="A catalog connector's name.")]) -> None:
    """Print the YAML of catalog connector NAME, comments included."""
    if name not in catalog_names():
        typer.echo(f"no catalog connector '{name}' (known: {', '.join(catalog_names())})", err=True)
        raise typer.Exit(2)
    typer.echo(catalog_text(name), nl=False)
