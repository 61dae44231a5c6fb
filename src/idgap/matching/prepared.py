"""The prepared driver index: a value built once per index and passed in (no module caches).

`prepare_index(index)` adds the row number `di` and the blocking keys; the heavier parts (name
keys, plate deletion keys, name-token frequencies) are built on first use and kept on the value,
so a caller that matches several times against one index (the recovery job: repairs, then the
work list) prepares it once by holding the value.
"""

from __future__ import annotations

from functools import cached_property

import polars as pl

from idgap.matching.name_keys import index_name_keys, model_key
from idgap.matching.normalize import name_tokens
from idgap.matching.plates import deletion_keys, skeleton
from idgap.matching.similarity import token_signature

SHARED = ("plate_norm", "phone_norm", "license_norm")
NAME_KEY_CAP = 50  # a name key shared by more drivers (JUAN QUISPE) identifies nobody


class PreparedIndex:
    def __init__(self, index: pl.DataFrame) -> None:
        self.source = index
        self.frame = index.with_row_index("di").with_columns(
            plate_skel=skeleton(pl.col("plate_norm")),
            name_key=name_tokens(pl.col("name_norm")).list.sort().list.join(" "),
            # accounts sharing each identifier (term frequencies of plates, phones, licences)
            **{f"n_{c}": pl.len().over(c).cast(pl.Float32) for c in SHARED},
        )
        self._shared: dict[str, pl.DataFrame] = {}

    @property
    def height(self) -> int:
        return self.frame.height

    def accounts(self, di: pl.Series, *columns: str | pl.Expr) -> pl.DataFrame:
        """`columns` of the accounts `di`, row for row (a gather by row number: no join, no
        hash table over the whole index for each slice of leads)."""
        return self.frame.select(columns).select(pl.all().gather(di))

    def shared_identifiers(self, column: str) -> pl.DataFrame:
        """(di, k, n) of the accounts whose `column` (a SHARED identifier) another account
        holds too: n accounts hold k. Built once per column (the sibling block's side)."""
        if column not in self._shared:
            held = self.frame.filter(pl.col(f"n_{column}") >= 2).drop_nulls(column)
            self._shared[column] = held.select("di", k=column, n=f"n_{column}")
        return self._shared[column]

    @cached_property
    def model_keys(self) -> pl.Series:
        """Per account (by `di`), the last token of its car model (`name_keys.model_key`)."""
        return self.frame.select(model_key(pl.col("model_norm"))).to_series()

    @cached_property
    def name_keys(self) -> pl.DataFrame:
        return index_name_keys(self.frame, name_tokens(pl.col("name_norm")), NAME_KEY_CAP)

    @cached_property
    def plate_keys(self) -> pl.DataFrame:
        """(di, key): the deletion neighbourhood of every plate skeleton."""
        return deletion_keys(self.frame, "di", "plate_skel")

    @cached_property
    def name_signatures(self) -> pl.Series:
        """Per account (by `di`), the `token_signature` of its name tokens."""
        return self.frame.select(token_signature(name_tokens(pl.col("name_norm")))).to_series()

    @cached_property
    def token_counts(self) -> pl.DataFrame:
        """(token, n): how many accounts carry each name token (term frequencies)."""
        toks = self.frame.select(t=name_tokens(pl.col("name_norm")).list.unique()).explode("t")
        return toks.drop_nulls("t").group_by("t").agg(n=pl.len().cast(pl.Float64))

    @cached_property
    def name_collisions(self) -> dict[str, float]:
        """How often two different people share a whole name, measured on the index (see
        `fellegi_sunter.name_collisions`)."""
        from idgap.matching.fellegi_sunter import name_collisions

        return name_collisions(self.frame, self.token_counts)

    @cached_property
    def name_key_counts(self) -> pl.DataFrame:
        """(name_key, n_same_name): accounts with exactly the same set of name tokens."""
        keys = self.frame.select("name_key").filter(pl.col("name_key") != "")
        return keys.group_by("name_key").agg(n_same_name=pl.len().cast(pl.Float64))


def prepare_index(index: pl.DataFrame | PreparedIndex, *, name_keys: bool = True) -> PreparedIndex:
    """The prepared value of an index (idempotent). `name_keys` builds the name keys now (so
    a benchmark counts them in the index build, not in matching)."""
    prepared = index if isinstance(index, PreparedIndex) else PreparedIndex(index)
    if name_keys:
        _ = prepared.name_keys, prepared.plate_keys, prepared.token_counts
        _ = prepared.name_signatures, prepared.model_keys, prepared.name_key_counts
        _ = [prepared.shared_identifiers(c) for c in ("phone_norm", "license_norm")]
        _ = prepared.name_collisions
    return prepared
