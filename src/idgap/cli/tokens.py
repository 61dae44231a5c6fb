"""`idgap token create|list|revoke`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from idgap.access import TOKEN_FIELDS, Role, create_token, list_tokens, revoke_token
from idgap.cli.common import console, one_line_errors, print_json, state
from idgap.clock import utc_now

token_app = typer.Typer(help="API tokens (roles viewer < operator < admin).", no_args_is_help=True)


@token_app.command("create")
@one_line_errors
def create(
    role: Annotated[str, typer.Option(help="viewer, operator or admin.")] = "viewer",
    name: Annotated[str | None, typer.Option(help="Who or what uses it.")] = None,
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", help="Expire after N days (default: never).")
    ] = None,
) -> None:
    """Create a token; it is printed once and stored only as a hash."""
    r = Role.parse(role)
    with state().engine.begin() as conn:
        token = create_token(
            conn, name=name or f"{r.name} token", role=r, now=utc_now(), expires_days=expires_days
        )
    until = f", expires in {expires_days} days" if expires_days else ""
    console.print(f"[bold]{r.name}[/] token (shown once, keep it safe{until}):")
    typer.echo(token)


@token_app.command("list")
@one_line_errors
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List tokens (never their secrets)."""
    with state().engine.connect() as conn:
        rows = list_tokens(conn)
    if as_json:
        print_json(rows)
        return
    t = Table("id", "name", "role", "prefix", "created", "last used", "expires", "revoked")
    for r in rows:
        t.add_row(*(str(r[k] or "") for k in TOKEN_FIELDS))
    console.print(t)


@token_app.command("revoke")
@one_line_errors
def revoke(
    token_id: Annotated[int, typer.Argument(help="Token id from `idgap token list`.")],
) -> None:
    """Revoke a token at once."""
    with state().engine.begin() as conn:
        revoke_token(conn, token_id, now=utc_now())
    console.print(f"token #{token_id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
