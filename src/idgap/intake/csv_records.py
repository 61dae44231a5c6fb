"""Where each CSV record starts, on which file line, and how many fields it has: vectorised.

RFC 4180: a newline is a record separator when an even number of quote characters precede
it (an escaped quote `""` counts twice, so parity holds). With numpy over the file's bytes
this finds every record's file line (right after a quoted newline too), its field count, and
an unterminated quoted field at the end (a truncated file), in a few C passes over the bytes
instead of a Python loop over rows. Records whose field count differs from the header's are
cut out before Polars parses the rest, so they become rejects with their line instead of
failing the file (too many fields) or loading padded with nulls (too few).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUOTE, NEWLINE, COMMA, CR = 34, 10, 44, 13


@dataclass(frozen=True)
class Records:
    starts: np.ndarray  # byte offset of each record (record 0 is the header)
    ends: np.ndarray  # byte offset of its terminating newline (or the end of the data)
    lines: np.ndarray  # file line of each record's first byte (1-based)
    fields: np.ndarray  # number of fields
    blank: np.ndarray  # an empty line (Polars reads it as a row of nulls)
    unterminated: bool  # the last record ends inside a quoted field

    @property
    def n(self) -> int:
        return len(self.starts)


def scan(raw: bytes) -> Records:
    data = np.frombuffer(raw, dtype=np.uint8)
    # most exports quote nothing: a memchr answers that without a pass of numpy over the bytes
    quotes = np.flatnonzero(data == QUOTE) if b'"' in raw else np.empty(0, dtype=np.int64)
    newlines = np.flatnonzero(data == NEWLINE)
    separators = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    starts = np.concatenate([[0], separators + 1]).astype(np.int64)
    ends = np.concatenate([separators, [len(data)]]).astype(np.int64)
    if len(starts) > 1 and starts[-1] >= len(data):  # the file ends with a newline
        starts, ends = starts[:-1], ends[:-1]
    lines = np.searchsorted(newlines, starts) + 1
    fields = _field_counts(data, quotes, starts, ends)
    length = ends - starts
    first = data[np.minimum(starts, max(len(data) - 1, 0))] if len(data) else starts
    blank = (length == 0) | ((length == 1) & (first == CR))
    return Records(starts, ends, lines, fields, blank, unterminated=len(quotes) % 2 == 1)


def _field_counts(data: np.ndarray, quotes: np.ndarray, starts: np.ndarray,
                  ends: np.ndarray) -> np.ndarray:  # fmt: skip
    """1 + the commas of each record that are not inside quotes, vectorised: with C(p) the
    number of commas before byte p, a record has C(end) - C(start) commas, of which each
    quoted span (quote 2j to quote 2j+1, parity being global) holds C(close) - C(open)."""
    commas = np.flatnonzero(data == COMMA)
    total = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
    paired = quotes[: len(quotes) - len(quotes) % 2]  # an unterminated last quote opens no pair
    opening, closing = paired[0::2], paired[1::2]
    inside = np.searchsorted(commas, closing) - np.searchsorted(commas, opening)
    owner = np.searchsorted(starts, opening, side="right") - 1
    quoted = np.bincount(owner, weights=inside, minlength=len(starts)).astype(np.int64)
    return total - quoted + 1


def problems(rec: Records) -> tuple[np.ndarray, list[str]]:
    """(indices of bad data records, their reasons); the header's field count is the rule."""
    expected = int(rec.fields[0])
    bad = np.flatnonzero((rec.fields != expected) & ~rec.blank)
    bad = bad[bad > 0]
    reasons = [
        f"{'too many' if rec.fields[i] > expected else 'too few'} fields: "
        f"{int(rec.fields[i])} instead of {expected}"
        for i in bad
    ]
    last = rec.n - 1
    if rec.unterminated and last > 0:
        reasons = [r for i, r in zip(bad, reasons, strict=True) if i != last]
        bad = np.append(bad[bad != last], last)
        reasons.append("unterminated quoted field: the file looks truncated")
    return bad, reasons


def without(raw: bytes, rec: Records, bad: np.ndarray) -> bytes:
    """The file's bytes with the `bad` records (and their newline) cut out."""
    if len(bad) == 0:
        return raw
    pieces, at = [], 0
    for i in sorted(int(b) for b in bad):
        pieces.append(raw[at : int(rec.starts[i])])
        at = int(rec.ends[i]) + 1
    pieces.append(raw[at:])
    return b"".join(pieces)
