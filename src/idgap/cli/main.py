"""Entry point of the `idgap` command; each command group lives in its own module."""

from __future__ import annotations

from typing import Annotated

import typer

from idgap.cli.common import CliState, console, one_line_errors, set_state, state
from idgap.store.db import current_revision, head_revision, upgrade

app = typer.Typer(
    name="idgap",
    help="Find, explain and close the identity gap of a fleet park.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.callback()
def main(
    db: Annotated[
        str | None,
        typer.Option(
            "--db", envvar="IDGAP_DATABASE_URL", help="Database URL (SQLite or PostgreSQL)."
        ),
    ] = None,
) -> None:
    set_state(CliState(db))


@db_app.command("upgrade")
@one_line_errors
def db_upgrade() -> None:
    """Bring the schema to the newest revision (also done automatically on first use)."""
    engine = state().engine  # make_engine already upgrades
    upgrade(engine)
    console.print(
        f"schema at revision [bold]{current_revision(engine)}[/] (head {head_revision()})"
    )


# Each module defines `register(app)`; the order is the order of `idgap --help`.
COMMAND_MODULES = (
    "demo",
    "intake",
    "matching",
    "exports",
    "recovery",
    "diagnose",
    "claims",
    "serve",
    "tokens",
)


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"idgap.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"idgap.cli.{name}":
                raise
            continue  # a command group not built yet
        module.register(app)
    try:
        from idgap.cli import generate
    except ImportError:
        return
    app.command("generate")(one_line_errors(generate.generate))


_register()


if __name__ == "__main__":
    app()
