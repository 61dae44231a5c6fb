"""What every command shares: settings, the engine, the console, one-line errors."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
import typer
from rich.console import Console

from idgap.config import Settings, get_settings
from idgap.errors import IdgapError
from idgap.store.db import make_engine

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class CliState:
    def __init__(self, db_url: str | None):
        base = get_settings()
        self.settings: Settings = (
            base.model_copy(update={"database_url": db_url}) if db_url else base
        )
        self._engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url, pool=self.settings.pool())
        return self._engine


_state: list[CliState] = []


def set_state(state: CliState) -> None:
    _state.clear()
    _state.append(state)


def state() -> CliState:
    if not _state:
        set_state(CliState(None))
    return _state[0]


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def one_line_errors(fn: F) -> F:
    """Turn an IdgapError into a single red line and a non-zero exit, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except IdgapError as exc:
            raise fail(exc.message, 2 if exc.status == 409 else 1) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
