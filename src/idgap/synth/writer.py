"""Write a synthetic park as the CSV files of SPEC §2 (plus `truth_leads.csv`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def write_frames(frames: dict[str, pl.DataFrame], out_dir: Path) -> dict[str, int]:
    """One CSV per frame (UTF-8, header, empty string for null); returns rows per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, frame in frames.items():
        frame.write_csv(out_dir / name, null_value="")
        counts[name] = frame.height
    return counts
