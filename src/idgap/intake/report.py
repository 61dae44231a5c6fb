"""What an import did, per table: loaded / updated / unchanged / rejected, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TableReport:
    table: str
    file: str
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)  # first 50: line, reason
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportReport:
    tables: list[TableReport] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    run_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "tables": [t.to_dict() for t in self.tables],
            "ignored_files": self.ignored_files,
        }
