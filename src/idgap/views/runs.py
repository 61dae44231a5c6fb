"""Runs: the history (is one running?), one run with its statistics as rows, for polling too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from idgap.recovery import read as recovery

RUNS_PAGE = 25
HIDDEN_STATS = {"run_id", "kind", "dry_run", "index_version", "rejects", "warnings"}


def stat_rows(stats: Any) -> list[dict[str, Any]]:
    """A run's statistics as rows {key, value} and groups {key, entries: [{key, value}]}.

    Import runs keep one group per table; nested counters (by_reason, by_rule) become groups.
    """
    if not isinstance(stats, Mapping):
        return []
    rows: list[dict[str, Any]] = []
    for key, value in stats.items():
        if key in HIDDEN_STATS or value in (None, "", [], {}):
            continue
        if isinstance(value, Mapping):
            items = [{"key": k, "value": v} for k, v in value.items() if _scalar(v)]
            rows.append({"key": key, "entries": items})
        elif key == "tables" and isinstance(value, list):
            rows.extend(_table_group(t) for t in value if isinstance(t, Mapping))
        elif _scalar(value) and not isinstance(value, list):
            rows.append({"key": key, "value": value})
    return rows


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float | str | bool)


def _table_group(table: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("loaded", "updated", "unchanged", "rejected", "warned")
    items = [{"key": k, "value": table[k]} for k in keys if table.get(k) is not None]
    return {
        "key": "table",
        "table": table.get("table"),
        "file": table.get("file"),
        "entries": items,
    }


def _run_row(run: dict[str, Any]) -> dict[str, Any]:
    return {**run, "stat_rows": stat_rows(run.get("stats")), "running": run["status"] == "running"}


def runs_view(
    conn: sa.Connection, *, kind: str | None, page: int, page_size: int = RUNS_PAGE
) -> dict[str, Any]:
    result = recovery.list_runs(conn, kind=kind, limit=page_size, offset=(page - 1) * page_size)
    running = recovery.list_runs(conn, status="running", limit=1)["total"]
    return {
        "items": [_run_row(r) for r in result["items"]],
        "total": result["total"],
        "page": page,
        "page_size": page_size,
        "kind": kind,
        "running": int(running) > 0,
    }


def run_view(conn: sa.Connection, run_id: int) -> dict[str, Any]:
    run = _run_row(recovery.get_run(conn, run_id))
    params = run.get("params")
    run["param_rows"] = stat_rows(params) if isinstance(params, Mapping) else []
    return run
