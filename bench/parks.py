"""The labelled parks every matching benchmark runs on: generated once, in their own process,
cached as Parquet and regenerated when the generator's code changes.

A park is (variant, size): variant `default`, `hard` or `holdout` (synth.variants), size
`seed` (800 leads x 127,000 drivers, the reference's park) or `large` (100,000 x 1,000,000),
always seed 42 and anchor 2026-11-25. The default park of a size lives in `DATA/<size>` (the
other benches read it there), a variant in `DATA/<variant>-<size>`. `DATA` is `bench/data`,
or `$IDGAP_BENCH_DATA` to share a cache between worktrees.
Usage: python -m bench.parks <variant> <size>   (generate if missing or stale)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import polars as pl

SIZES = {"seed": (800, 127_000), "large": (100_000, 1_000_000)}
VARIANTS = ("default", "hard", "holdout")
SEED = 42
ANCHOR = dt.date(2026, 11, 25)
DATA = Path(os.environ.get("IDGAP_BENCH_DATA") or Path(__file__).parent / "data")
FRAMES = ("cabinet_leads", "drivers", "truth", "summary_daily")
_STAMP = "synth-version.txt"


def park_dir(variant: str, size: str) -> Path:
    return DATA / (size if variant == "default" else f"{variant}-{size}")


def synth_version() -> str:
    """Content hash of the generator's code: a cached park from other code is stale."""
    import idgap.synth

    h = hashlib.sha256()
    for path in sorted(Path(idgap.synth.__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return f"{h.hexdigest()[:16]} seed {SEED} anchor {ANCHOR}"


def is_current(variant: str, size: str) -> bool:
    stamp = park_dir(variant, size) / _STAMP
    return stamp.exists() and stamp.read_text() == synth_version()


def generate(variant: str, size: str) -> Path:
    """Generate and write the park (in this process)."""
    from idgap.synth import generate_park

    version = synth_version()  # of the code that runs now, not of later edits
    leads, drivers = SIZES[size]
    park = generate_park(
        leads=leads, drivers=drivers, seed=SEED, anchor_date=ANCHOR, variant=variant
    )
    out = park_dir(variant, size)
    out.mkdir(parents=True, exist_ok=True)
    for name in FRAMES:
        getattr(park, name).write_parquet(out / f"{name}.parquet")
    (out / _STAMP).write_text(version)
    return out


def ensure(variant: str, size: str) -> Path:
    """The park's directory, generated in a child process first if missing or stale (so the
    generator's memory is not counted in the caller's peak)."""
    if not is_current(variant, size):
        print(f"generating the {variant} park, size {size}...", flush=True)
        subprocess.run([sys.executable, "-m", "bench.parks", variant, size], check=True)
    return park_dir(variant, size)


def load(variant: str, size: str) -> SimpleNamespace:
    d = park_dir(variant, size)
    return SimpleNamespace(**{n: pl.read_parquet(d / f"{n}.parquet") for n in FRAMES})


def plan(argv: list[str]) -> list[tuple[str, str]]:
    """(variant, size) pairs a bench run covers: `--quick` seed size only; `--park V` one
    variant; the large size runs default and holdout unless `--large-all` (hard too)."""
    variants = [a.split("=", 1)[1] for a in argv if a.startswith("--park=")] or list(VARIANTS)
    pairs = [(v, "seed") for v in variants]
    if "--quick" not in argv:
        large = variants if "--large-all" in argv else [v for v in variants if v != "hard"]
        pairs += [(v, "large") for v in large]
    return pairs


def main() -> int:
    variant, size = sys.argv[1], sys.argv[2]
    if variant not in VARIANTS or size not in SIZES:
        print(f"usage: python -m bench.parks {{{','.join(VARIANTS)}}} {{{','.join(SIZES)}}}")
        return 2
    print(generate(variant, size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
