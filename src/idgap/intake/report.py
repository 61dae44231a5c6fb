"""What an import did, per table: loaded / updated / unchanged / rejected, and why."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from idgap.store.runs import timed_stage

LISTED = 50  # rejects and warnings listed in a report; all rejects are in import_rejects


@dataclass
class TableReport:
    table: str
    file: str
    loaded: int = 0  # new keys
    updated: int = 0  # known keys whose row changed
    unchanged: int = 0
    rejected: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)  # first LISTED: line, reason
    warned: int = 0  # rows loaded with a warning (e.g. a legacy link to an unknown lead)
    warnings: list[str] = field(default_factory=list)  # first LISTED

    @property
    def rows(self) -> int:
        return self.loaded + self.updated + self.unchanged + self.rejected

    def warn(self, messages: list[str]) -> None:
        self.warned += len(messages)
        self.warnings.extend(messages[: max(LISTED - len(self.warnings), 0)])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[str, int, int], None]  # (step, done, total) for a progress bar


@dataclass
class Stages:
    """Wall seconds per import stage (read, plan, write, index, gap_status) and the caller's
    progress hook, told each step with real totals (rows)."""

    progress: Progress | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def tell(self, step: str, done: int = 0, total: int = 1) -> None:
        if self.progress is not None:
            self.progress(step, done, total)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        with timed_stage(self.timings, stage):
            yield


@dataclass
class ImportReport:
    tables: list[TableReport] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)  # present but not in the contract
    run_id: int | None = None
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds per stage

    def table(self, name: str) -> TableReport:
        return next(t for t in self.tables if t.table == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "tables": [t.to_dict() for t in self.tables],
            "ignored_files": self.ignored_files,
            "timings": dict(self.timings),
        }
