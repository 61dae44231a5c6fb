"""The intake's row hash: md5 of the joined values, the same as every stored hash so far."""

from __future__ import annotations

import hashlib

import polars as pl

from idgap.intake.prepare import stable_hash


def _md5_of_joined(values: list[str | None]) -> str:
    text = "\x1f".join("\x00" if v is None else v for v in values)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_hash_is_md5_of_the_joined_values_with_nulls_and_non_ascii():
    df = pl.DataFrame(
        {"a": ["x", None, "ñandú", "", "z" * 5000, "x"], "b": ["1", "2", None, "", "5", "1"]}
    ).slice(1)  # a frame that starts at an offset into its buffers
    got = stable_hash(df, ["a", "b"]).to_list()
    assert got == [_md5_of_joined(list(row)) for row in df.iter_rows()]
    assert got[0] != got[2] and got[-1] == _md5_of_joined(["x", "1"])


def test_an_empty_frame_hashes_to_an_empty_text_column():
    got = stable_hash(pl.DataFrame({"a": []}, schema={"a": pl.Utf8}), ["a"])
    assert got.dtype == pl.Utf8 and got.len() == 0
