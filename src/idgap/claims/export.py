"""`idgap claims export`: the ledger as CSV (booleans `true`/`false`) or as an .xlsx sheet.

The .xlsx is written with the standard library (a zip of SpreadsheetML parts, inline strings),
so no spreadsheet package is needed.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import sqlalchemy as sa

from idgap.claims.read import ITEM_COLUMNS, ClaimFilters, export_rows

EXPORT_COLUMNS = ITEM_COLUMNS


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_claims(
    conn: sa.Connection, out: Path, *, xlsx: bool = False, filters: ClaimFilters | None = None
) -> int:
    """Write every ledger row; -> rows written."""
    rows = ([cell_text(v) for v in r] for r in export_rows(conn, filters))
    return write_xlsx(out, EXPORT_COLUMNS, rows) if xlsx else write_csv(out, EXPORT_COLUMNS, rows)


def write_csv(out: Path, header: Sequence[str], rows: Iterable[list[str]]) -> int:
    n = 0
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            n += 1
    return n


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_OOXML = "http://schemas.openxmlformats.org"
_DOC_REL = f"{_OOXML}/officeDocument/2006/relationships"
_MAIN = f"{_OOXML}/spreadsheetml/2006/main"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_OOXML}/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEET_TYPE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_SHEET_TYPE}.worksheet+xml"/></Types>'
)


def _relationships(kind: str, target: str) -> str:
    return (
        f'{_XML}<Relationships xmlns="{_OOXML}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_DOC_REL}/{kind}" Target="{target}"/></Relationships>'
    )


_RELS = _relationships("officeDocument", "xl/workbook.xml")
_WORKBOOK_RELS = _relationships("worksheet", "worksheets/sheet1.xml")
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_REL}">'
    '<sheets><sheet name="claims" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


def _row_xml(values: Sequence[str]) -> str:
    cells = "".join(
        f'<c t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c>' for v in values
    )
    return f"<row>{cells}</row>"


def write_xlsx(out: Path, header: Sequence[str], rows: Iterable[list[str]]) -> int:
    """One sheet, every cell an inline string (what the CSV holds, same text)."""
    n = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            sheet.write(_row_xml(header).encode())
            for row in rows:
                sheet.write(_row_xml(row).encode())
                n += 1
            sheet.write(b"</sheetData></worksheet>")
    return n
