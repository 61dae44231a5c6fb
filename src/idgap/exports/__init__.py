"""Exports of what an analyst sees: the filtered gap table and the review queue, CSV or XLSX."""

from idgap.exports.frames import gap_frame, review_frame
from idgap.exports.write import FORMATS, content_type, to_bytes, write_file

__all__ = ["gap_frame", "review_frame", "FORMATS", "content_type", "to_bytes", "write_file"]
