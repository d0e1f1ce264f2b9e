"""`python manage.py match FILE`: the matcher on ranked preferences collected elsewhere.

FILE is a CSV shaped like a Google Form export: a header row, then one row per
student. The student column is the one headed "student" (any case), or else
the first column not headed "Timestamp"; every column after it is a choice, in
rank order, except "Timestamp" columns; columns before it (a timestamp, an
email address) are ignored. Blank cells are skipped and later choices move up
(choices "iris, , wine" rank wine second).

Merges, each reported as a note: names of students and datasets are matched
after trimming spaces and ignoring case, and shown as first spelled; a student
on several rows keeps the last row (a resubmitted form); a dataset twice in one
row keeps its best rank; a row with choices but no name is skipped. An empty
file, a header with no rows or no choice columns, a binary or malformed file
and an unreadable one are errors. Encodings: UTF-8 with or without BOM, else Windows-1252, else Latin-1.
Delimiters: comma, semicolon or tab, whichever the header uses most.
"""
import csv
import io
import json
import re
import sys
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand

from matching.engine import OBJECTIVES, MatchResult, match


class InputError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Preferences:
    rankings: dict[str, list[str]]  # student (first spelling) -> datasets (first spelling), rank order
    notes: list[str] = field(default_factory=list)


def read_preferences(raw: bytes) -> Preferences:
    """Parse the CSV bytes (see the module docstring); raise InputError when nothing usable is there.

    1. Decode; refuse an empty file.
    2. Pick the delimiter from the header line.
    3. Find the student column and the choice columns in the header.
    4. Read rows: names normalised, duplicates merged with a note.
    """
    text, encoding = _decode(raw)
    if not text.strip():
        raise InputError("empty_file", "the file is empty")
    if "\x00" in text:
        raise InputError("not_text", "the file is not a text CSV (it holds binary data)")
    notes = [] if encoding == "utf-8" else [f"The file is not UTF-8; it was read as {encoding}."]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        # (line number in the file, cells) of the rows that are not blank
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise InputError("bad_csv", f"line {reader.line_num} is not valid CSV ({error})") from None
    header = [_clean(cell).casefold() for cell in rows[0][1]]
    student_col, choice_cols = _columns(header)
    if len(rows) == 1:
        raise InputError("no_rows", "the file has a header but no students")

    spelling: dict[str, str] = {}  # casefolded name -> first spelling, students and datasets apart
    datasets: dict[str, str] = {}
    rankings: dict[str, list[str]] = {}
    seen_on: dict[str, int] = {}
    for line, row in rows[1:]:
        cells = row + [""] * (len(header) - len(row))
        name = _clean(cells[student_col])
        choices = [_clean(cells[c]) for c in choice_cols if _clean(cells[c])]
        if not name:
            if choices:
                notes.append(f"Row {line} has choices but no student name: skipped.")
            continue
        key = name.casefold()
        name = spelling.setdefault(key, name)
        if key in seen_on:
            notes.append(f"{name} is on rows {seen_on[key]} and {line}: row {line} was used.")
        seen_on[key] = line
        ranked: list[str] = []
        for choice in choices:
            dataset = datasets.setdefault(choice.casefold(), choice)
            if dataset in ranked:
                notes.append(f"Row {line} ({name}) lists {dataset} twice: kept at rank {ranked.index(dataset) + 1}.")
            else:
                ranked.append(dataset)
        rankings[name] = ranked
    if not rankings:
        raise InputError("no_rows", "the file has no row with a student name")
    return Preferences(rankings=rankings, notes=notes)


def _decode(raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined
        return raw.decode("latin-1"), "Latin-1"


def _delimiter(text: str) -> str:
    header = next(line for line in text.splitlines() if line.strip())
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])  # the first of equals: a comma
    return best if counts[best] else ","


def _columns(header: list[str]) -> tuple[int, list[int]]:
    if "student" in header:
        student = header.index("student")
    else:
        student = next((i for i, h in enumerate(header) if h != "timestamp"), None)
        if student is None:
            raise InputError("no_student_column", "the header has no student column")
    choices = [i for i in range(student + 1, len(header)) if header[i] != "timestamp"]
    if not choices:
        raise InputError("no_choice_columns", "the header has no choice columns after the student column")
    return student, choices


def _clean(cell: str) -> str:
    return re.sub(r"\s+", " ", cell).strip()


class Command(BaseCommand):
    help = (
        "Match students to datasets from a CSV of ranked choices (header: student,choice1,choice2,...). "
        "See matching/management/commands/match.py for how the file is read."
    )
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # A usage mistake is reported like every other error: one "error:" line.
        parser.error = lambda message: self._fail("usage", message, as_json="--json" in sys.argv, status=2)
        return parser

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file: student,choice1,choice2,...")
        parser.add_argument("--min-size", type=int, default=2, help="Fewest students per chosen dataset (default 2).")
        parser.add_argument("--max-size", type=int, default=None, help="Most students per dataset (default: no limit).")
        parser.add_argument("--objective", choices=OBJECTIVES, default="rank",
                            help="rank: fewest total ranks; squared: fewest squared ranks (fairer).")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print one JSON object.")

    def handle(self, *args, file: str, min_size: int, max_size: int | None, objective: str, as_json: bool, **options):
        if min_size < 1:
            self._fail("invalid_option", "--min-size must be at least 1", as_json=as_json)
        if max_size is not None and max_size < 1:
            self._fail("invalid_option", "--max-size must be at least 1", as_json=as_json)
        try:
            with open(file, "rb") as handle:
                preferences = read_preferences(handle.read())
        except FileNotFoundError:
            self._fail("not_found", f"{file}: no such file", as_json=as_json)
        except OSError as error:
            self._fail("unreadable", f"{file}: {error.strerror or error}", as_json=as_json)
        except InputError as error:
            self._fail(error.code, f"{file}: {error.message}", as_json=as_json)
        result = match(preferences.rankings, min_size=min_size, max_size=max_size, objective=objective)
        if as_json:
            self.stdout.write(json.dumps({**result.to_dict(), "notes": preferences.notes}, indent=2))
        else:
            self.stdout.write(_table(result, preferences.notes))

    def _fail(self, code: str, message: str, *, as_json: bool, status: int = 1):
        if as_json:
            self.stdout.write(json.dumps({"error": {"code": code, "message": message}}))
        self.stderr.write(f"error: {message}", style_func=lambda text: text)
        raise SystemExit(status)


def _table(result: MatchResult, notes: list[str]) -> str:
    """A plain-text report: circles, students alone or without a dataset, quality, notes."""
    q = result.quality
    limit = q["max_size"] if q["max_size"] is not None else "none"
    lines = [f"Circles (minimum {q['min_size']}, maximum {limit}):"]
    width = max((len(d) for d in result.circles), default=0)
    alone = set(result.alone)
    for dataset, members in result.circles.items():
        shown = ", ".join(f"{s}*" if s in alone else s for s in members)
        lines.append(f"  {dataset:<{width}}  {len(members):>3}  {shown}")
    if not result.circles:
        lines.append("  (none)")
    if result.alone:
        lines.append("* alone: nobody else could share their dataset.")
        for student in result.alone:
            dataset = result.assignments[student]
            related = result.related.get(student)
            extra = f" (related circle: {related})" if related and related != dataset else ""
            lines.append(f"  {student}: {dataset}{extra}")
    if q["unassigned"]:
        lines.append(f"Without a dataset (empty list, or every choice full): {', '.join(q['unassigned'])}")
    lines.append("")
    lines.append(_summary(q))
    if notes:
        lines.append("Notes:")
        lines.extend(f"  - {note}" for note in notes)
    return "\n".join(lines)


def _summary(q: dict) -> str:
    def percent(rate):
        return "n/a" if rate is None else f"{rate:.0%}"

    ranks = ", ".join(f"#{r}: {n}" for r, n in q["rank_profile"].items() if r.isdigit())
    status = "proven optimal" if q["optimal"] else f"gap to bound {q['gap']:.2%}"
    mean = "n/a" if q["mean_rank"] is None else f"{q['mean_rank']:.2f}"
    lines = [
        f"Students: {q['students']}; with a buddy: {q['buddied']} ({percent(q['buddy_rate'])}; "
        f"the lists allow {percent(q['achievable_buddy_rate'])}); alone: {q['alone']}.",
        f"Mean rank {mean} ({ranks or 'none'}; off their list: {q['rank_profile']['off_list']}).",
        f"{status.capitalize()} ({q['method']}, {q['seconds']:.2f} s); violations: {q['violations']}.",
    ]
    lines.extend(f"Warning: {w}" for w in q["warnings"])
    return "\n".join(lines)
