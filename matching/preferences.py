"""Reading the files of `manage.py match`: preferences (a Google Form export), a roster, a previous matching.

Plain Python, no Django: the command and the tests call these functions on bytes.

Preferences (FILE), one row per submission:
  - A `Timestamp` column is never a choice; it orders duplicate submissions.
  - The student id is the column named `Email Address` or `Email` (any case,
    `E-mail` too), else `Username`, else the first column that is neither a
    timestamp nor a choice column.
  - Other columns whose header names a person (`Name`, `Your name`,
    `First name`, `Last name`, `Full name`, `Student name`, `Surname`) give
    display names.
  - Choice columns carry a choice/rank/preference word or a rank number in
    their header (`Which dataset? [1st choice]`, `Choice 2`, `Rank 3`, `3rd`,
    `Second preference`), ordered by that number (the bracketed part of a
    Google grid header first); when no header does, every remaining column is
    a choice in header order (the plain format: id, then datasets in rank
    order). Any other column is ignored and named in the warnings.
  - An id on several rows: the latest submission wins, by `Timestamp` when it
    parses (ISO 8601; Google's `M/D/YYYY H:MM:SS` or `D/M/YYYY`, the order
    taken from the column's unambiguous dates; `YYYY/MM/DD h:mm:ss PM GMT+1`);
    when day and month stay ambiguous and the two readings disagree, or a
    timestamp does not parse, file order decides. The warnings say which row
    was kept.
  - Blank cells are skipped (later choices move up); a dataset twice in a row
    keeps its best rank; a row with choices but no id is skipped.

Ids compare exactly after Unicode NFC and trimming surrounding whitespace
(non-breaking and zero-width spaces included), case-sensitively, except email
addresses, which compare ignoring case: `TRUE`/`true`, `007`/`7` and
`1e3`/`1000` are different students. Dataset names compare after NFC,
whitespace collapse and casefold. The first spelling seen is the one shown.

Encodings: UTF-8 with or without BOM, else Windows-1252, else Latin-1.
Delimiters: comma, semicolon or tab, whichever the header uses most.
"""
from __future__ import annotations

import csv
import io
import operator
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

# Zero-width and byte-order marks are not whitespace for str.strip().
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TIMESTAMP_HEADERS = {"timestamp", "time stamp", "submitted at", "submission time", "completion time"}
_EMAIL_HEADERS = {"email address", "email", "e-mail", "e-mail address", "email addresses"}
_USERNAME_HEADERS = {"username", "user name"}
_PERSON = re.compile(
    r"((your|student'?s?|full|first|last|given|family|preferred|display) )?name|surname|forename|full name"
)
_CHOICE_WORD = re.compile(r"(?<![a-z])(choices?|rank(ed|ing)?|preferences?|prefs?|picks?)(?![a-z])")
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}
_ORDINAL = re.compile(
    r"(?<![a-z0-9])(\d+)\s*(st|nd|rd|th)(?![a-z])|(?<![a-z])(" + "|".join(_ORDINAL_WORDS) + r")(?![a-z])"
)
_NUMBER = re.compile(r"#?\s*(\d+)")
_ROSTER_ID_HEADERS = {"id", "student id", "username", "user name", "student", "login", "user id", "sis user id"}
# Warnings of one kind beyond this many are summed up in one line.
_MAX_REPEATS = 5


class InputError(Exception):
    """A file that cannot be used; `code` is stable (the command prints it in JSON)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Preferences:
    rankings: dict[str, list[str]]  # student id (first spelling) -> datasets (first spelling), rank order
    names: dict[str, str] = field(default_factory=dict)  # student id -> display name, when a column gives one
    warnings: list[str] = field(default_factory=list)
    dataset_spelling: dict[str, str] = field(default_factory=dict)  # dataset key -> first spelling

    @property
    def notes(self) -> list[str]:  # the former name
        return self.warnings


@dataclass
class Roster:
    students: list[str]  # ids, first spelling, file order
    warnings: list[str] = field(default_factory=list)


@dataclass
class Previous:
    assignments: dict[str, str]  # student id -> dataset (as spelled in the file)
    warnings: list[str] = field(default_factory=list)


# --- keys ------------------------------------------------------------------------------


def clean_id(raw: str) -> str:
    """NFC and surrounding whitespace trimmed: the spelling an id is shown with."""
    return unicodedata.normalize("NFC", raw).strip().strip(_INVISIBLE).strip()


def student_key(raw: str) -> str:
    """What two ids are compared by: exact after `clean_id`, email addresses ignoring case."""
    cleaned = clean_id(raw)
    return cleaned.casefold() if _EMAIL.fullmatch(cleaned) else cleaned


def dataset_text(raw: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw).strip(_INVISIBLE)).strip()


def dataset_key(raw: str) -> str:
    return dataset_text(raw).casefold()


def _header_key(raw: str) -> str:
    return dataset_key(raw)


# --- reading CSV ----------------------------------------------------------------------


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


def _rows(raw: bytes, what: str) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """(line number, cells) of every non-blank row, and a warning about the encoding."""
    text, encoding = _decode(raw)
    if not text.strip():
        raise InputError("empty_file", f"the {what} is empty")
    if "\x00" in text:
        raise InputError("not_text", f"the {what} is not a text CSV (it holds binary data)")
    warnings = [] if encoding == "utf-8" else [f"The {what} is not UTF-8; it was read as {encoding}."]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise InputError("bad_csv", f"line {reader.line_num} of the {what} is not valid CSV ({error})") from None
    return rows, warnings


# --- the preferences file ----------------------------------------------------------------


def _rank_number(header: str) -> int | None:
    """The rank a choice header names: the bracketed part of a Google grid header first."""
    parts = re.findall(r"\[([^\]]*)\]", header) + [header]
    for part in parts:
        found = _ORDINAL.search(part)
        if found:
            return int(found.group(1)) if found.group(1) else _ORDINAL_WORDS[found.group(3)]
        if _CHOICE_WORD.search(part):
            number = _NUMBER.search(part)
            if number:
                return int(number.group(1))
    return None


def _is_choice(header: str) -> bool:
    return bool(_CHOICE_WORD.search(header) or _ORDINAL.search(header))


@dataclass
class _Columns:
    id: int
    timestamp: int | None
    names: list[int]
    choices: list[int]
    ignored: list[int]


def _columns(header: list[str]) -> _Columns:
    keys = [_header_key(h) for h in header]
    timestamps = [i for i, k in enumerate(keys) if k in _TIMESTAMP_HEADERS]
    people = [i for i, k in enumerate(keys) if i not in timestamps and _PERSON.fullmatch(k)]
    other = set(timestamps) | set(people)
    chosen = [i for i, k in enumerate(keys) if i not in other and _is_choice(k)]
    not_id = set(timestamps) | set(chosen)
    email = next((i for i, k in enumerate(keys) if k in _EMAIL_HEADERS), None)
    username = next((i for i, k in enumerate(keys) if k in _USERNAME_HEADERS), None)
    if email is not None:
        student = email
    elif username is not None:
        student = username
    else:
        student = next((i for i in range(len(keys)) if i not in not_id), None)
        if student is None:
            raise InputError("no_student_column", "the header has no student column")
    # A name column that is also the id still gives the display name (with the other name columns).
    names = people if student in people else [i for i in people if i != student]
    taken = {student, *timestamps, *people}
    if chosen:
        chosen = [i for i in chosen if i not in taken]
        numbered = [(n if (n := _rank_number(keys[i])) is not None else float("inf"), i) for i in chosen]
        choices = [i for _, i in sorted(numbered)]
        used = taken | set(choices)
        ignored = [i for i in range(len(keys)) if i not in used]
    else:
        choices = [i for i in range(len(keys)) if i not in taken]
        ignored = []
    if not choices:
        raise InputError("no_choice_columns", "the header has no choice columns")
    return _Columns(student, timestamps[0] if timestamps else None, names, choices, ignored)


_SLASH = re.compile(
    r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([ap]\.?m\.?)?)?"
    r"\s*(?:(?:gmt|utc)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?)?",
    re.IGNORECASE,
)


def _parse_times(values: list[str]) -> list[tuple[datetime, ...]]:
    """Each timestamp's possible readings: one, two (day and month ambiguous) or none.

    The column's own unambiguous dates fix the order of day and month for all.
    """
    parsed: list[tuple[str, tuple] | None] = []
    day_first = month_first = False
    for value in values:
        value = value.strip()
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            parsed.append(("iso", (moment,)))
            continue
        except ValueError:
            pass
        found = _SLASH.fullmatch(value)
        if not found:
            parsed.append(None)
            continue
        a, b, c = (int(found.group(i)) for i in (1, 2, 3))
        parsed.append(("slash", found.groups()))
        if len(found.group(1)) < 4:
            day_first |= a > 12
            month_first |= b > 12
    readings: list[tuple[datetime, ...]] = []
    for item in parsed:
        if item is None:
            readings.append(())
        elif item[0] == "iso":
            readings.append(item[1])
        else:
            readings.append(_slash_readings(item[1], day_first=day_first, month_first=month_first))
    return [tuple(_aware(r) for r in found) for found in readings]


def _slash_readings(groups, *, day_first: bool, month_first: bool) -> tuple[datetime, ...]:
    first, second, third, hour, minute, sec, meridiem, sign, off_h, off_m = groups
    hour, minute, sec = int(hour or 0), int(minute or 0), int(sec or 0)
    if meridiem:
        pm = meridiem.lower().startswith("p")
        if hour > 12:
            return ()
        hour = hour % 12 + (12 if pm else 0)
    zone = None
    if sign:
        delta = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        zone = timezone(delta if sign == "+" else -delta)
    if len(first) == 4:
        orders = [(int(first), int(second), int(third))]
    else:
        year = int(third) + (2000 if len(third) <= 2 else 0)
        month_day = (year, int(first), int(second))
        day_month = (year, int(second), int(first))
        if day_first and month_first:
            return ()
        orders = [day_month] if day_first else [month_day] if month_first else [month_day, day_month]
    found = []
    for year, month, day in orders:
        try:
            found.append(datetime(year, month, day, hour, minute, sec, tzinfo=zone))
        except ValueError:
            pass
    return tuple(dict.fromkeys(found))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_preferences(raw: bytes) -> Preferences:
    """Parse FILE's bytes (see the module docstring); raise InputError when nothing usable is there."""
    rows, warnings = _rows(raw, "file")
    header = [clean_id(cell) for cell in rows[0][1]]
    columns = _columns(header)
    if len(rows) == 1:
        raise InputError("no_rows", "the file has a header but no students")
    if columns.ignored:
        ignored = ", ".join(f"“{header[i]}”" for i in columns.ignored)
        warnings.append(f"Columns ignored (neither id, name, timestamp nor a choice): {ignored}.")

    width = len(header)
    # Submissions per student key: (position in the file, line, cells).
    submissions: dict[str, list[tuple[int, int, list[str]]]] = {}
    spelling: dict[str, str] = {}
    skipped = 0
    for position, (line, row) in enumerate(rows[1:]):
        cells = row + [""] * (width - len(row))
        student = clean_id(cells[columns.id])
        if not student:
            if any(cells[c].strip() for c in columns.choices):
                skipped += 1
                if skipped <= _MAX_REPEATS:
                    warnings.append(f"Row {line} has choices but no student id: skipped.")
            continue
        key = student_key(student)
        spelling.setdefault(key, student)
        submissions.setdefault(key, []).append((position, line, cells))
    if skipped > _MAX_REPEATS:
        warnings.append(f"{skipped - _MAX_REPEATS} more rows have choices but no student id: skipped.")
    if not submissions:
        raise InputError("no_rows", "the file has no row with a student id")

    times = None
    if columns.timestamp is not None and any(len(s) > 1 for s in submissions.values()):
        all_rows = [cells for s in submissions.values() for _, _, cells in s]
        readings = _parse_times([cells[columns.timestamp] for cells in all_rows])
        times = {id(cells): found for cells, found in zip(all_rows, readings)}

    # Raw cell -> (key, text) or None for a blank: a long file repeats its dataset names.
    texts: dict[str, tuple[str, str] | None] = {}

    def key_of(raw: str) -> tuple[str, str] | None:
        if raw not in texts:
            text = dataset_text(raw)
            texts[raw] = (text.casefold(), text) if text else None
        return texts[raw]

    picks = operator.itemgetter(*columns.choices)
    single = len(columns.choices) == 1
    datasets: dict[str, str] = {}  # key -> first spelling in the file, superseded rows included
    cleaned: dict[int, list[tuple[str, str]]] = {}  # row position -> its choices, blanks dropped
    for position, (_, row) in enumerate(rows[1:]):
        cells = row if len(row) >= width else row + [""] * (width - len(row))
        raw = (picks(cells),) if single else picks(cells)
        found = [k for k in map(key_of, raw) if k is not None]
        cleaned[position] = found
        for key, text in found:
            if key not in datasets:
                datasets[key] = text
    rankings: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    repeats = 0
    for key, found in submissions.items():
        student = spelling[key]
        kept, how = _latest(found, times)
        if len(found) > 1:
            lines = ", ".join(str(line) for _, line, _ in found[:-1]) + f" and {found[-1][1]}"
            warnings.append(f"{student} is on rows {lines}: row {kept[1]} was kept ({how}).")
        cells = kept[2]
        name = " ".join(clean_id(cells[i]) for i in columns.names if clean_id(cells[i]))
        if name:
            names[student] = name
        choices = cleaned[kept[0]]
        ranked = dict.fromkeys(k for k, _ in choices)  # the best rank of each, in order
        if len(ranked) < len(choices):
            seen: dict[str, int] = {}
            for k, _ in choices:
                if k in seen:
                    repeats += 1
                    if repeats <= _MAX_REPEATS:
                        warnings.append(f"Row {kept[1]} ({student}) lists {datasets[k]} twice: kept at rank "
                                        f"{list(ranked).index(k) + 1}.")
                seen[k] = 1
        rankings[student] = [datasets[k] for k in ranked]
    if repeats > _MAX_REPEATS:
        warnings.append(f"{repeats - _MAX_REPEATS} more repeated datasets in rows: each kept at its best rank.")
    return Preferences(rankings=rankings, names=names, warnings=warnings, dataset_spelling=datasets)


def _latest(found, times) -> tuple[tuple[int, int, list[str]], str]:
    """The submission that wins among one student's rows, and why."""
    if len(found) == 1:
        return found[0], "only row"
    if times is not None:
        readings = [times[id(cells)] for _, _, cells in found]
        if all(readings):
            # Every combination of readings that the ambiguous dates allow must agree.
            winners = set()
            for choice in range(max(len(r) for r in readings)):
                moments = [r[min(choice, len(r) - 1)] for r in readings]
                best = max(range(len(found)), key=lambda i: (moments[i], i))
                winners.add(best)
            if len(winners) == 1:
                return found[winners.pop()], "latest timestamp"
            return found[-1], "day and month of the timestamps are ambiguous: last in the file"
        return found[-1], "a timestamp does not parse: last in the file"
    return found[-1], "last in the file"


# --- the roster and the previous assignment ----------------------------------------------


def read_roster(raw: bytes) -> Roster:
    """A class list with a header row.

    The id is the column named like email, else id/username/student, else the first.
    """
    rows, warnings = _rows(raw, "roster")
    keys = [_header_key(clean_id(h)) for h in rows[0][1]]
    column = next((i for i, k in enumerate(keys) if "email" in k or "e-mail" in k), None)
    if column is None:
        column = next((i for i, k in enumerate(keys) if k in _ROSTER_ID_HEADERS), 0)
    students: dict[str, str] = {}
    for _, row in rows[1:]:
        if column < len(row) and clean_id(row[column]):
            students.setdefault(student_key(row[column]), clean_id(row[column]))
    if not students:
        raise InputError("empty_roster", "the roster has no students")
    return Roster(students=list(students.values()), warnings=warnings)


def read_previous(raw: bytes) -> Previous:
    """A previous matching: header `student,dataset`; a blank dataset means no dataset."""
    rows, warnings = _rows(raw, "previous assignment")
    keys = [_header_key(clean_id(h)) for h in rows[0][1]]
    if "student" in keys and "dataset" in keys:
        s_col, d_col = keys.index("student"), keys.index("dataset")
    elif len(keys) >= 2:
        s_col, d_col = 0, 1
        warnings.append("The previous assignment has no `student,dataset` header: its first two columns were used.")
    else:
        raise InputError("bad_previous", "the previous assignment needs two columns: student,dataset")
    assignments: dict[str, str] = {}
    spelling: dict[str, str] = {}
    for line, row in rows[1:]:
        cells = row + [""] * (max(s_col, d_col) + 1 - len(row))
        student, dataset = clean_id(cells[s_col]), dataset_text(cells[d_col])
        if not student or not dataset:
            continue
        key = student_key(student)
        student = spelling.setdefault(key, student)
        if student in assignments and assignments[student] != dataset:
            warnings.append(f"{student} is twice in the previous assignment: row {line} was kept.")
        assignments[student] = dataset
    return Previous(assignments=assignments, warnings=warnings)
