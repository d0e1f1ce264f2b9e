"""Every row of docs/reliability.md is proven by a marked test that ran and passed.

A test names the rows it proves with `@pytest.mark.reliability(36)` (several
rows: `reliability(18, 20)`). This plugin reads the table in
docs/reliability.md, checks at collection that each marker names rows of the
table, records every marked test whose set-up, call and teardown all passed
(a skipped, failed, erroring or xfail test proves nothing), and at the end of
a whole-suite run fails the run, listing the rows that no passing test proved.

A row is required according to its "Proven in" column:

- `any`: always;
- `postgresql`: when the test database is PostgreSQL;
- `processes`: when the drills ran, i.e. at least one test marked `drill` got
  to its call phase (a drill that errors in set-up fails the run anyway).

Whole-suite run (`--reliability-check=auto`, the default): the check runs only
when nothing narrowed the run. That is, every path argument (or the
`testpaths` used when none is given) is the tests/ folder or a folder above
it, none names a node (`file::test`), no `-k` or `-m` expression is set, no
test was deselected (`--deselect`, or any plugin), and the run is not
`--collect-only`. `python3 manage.py test` with no path is such a run;
`python3 manage.py test tests/matching` is not. `--reliability-check=on`
checks any run (only the rows its tests could prove make sense then), `off`
never checks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
DOCUMENT = ROOT / "docs" / "reliability.md"
ENVIRONMENTS = ("any", "postgresql", "processes")
MARKER = "reliability"

_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class Row:
    number: int
    scenario: str
    proven_in: str


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table line (`\\|` inside a cell is not a separator)."""
    inner = line.strip()
    if not (inner.startswith("|") and inner.endswith("|")):
        raise ValueError(f"not a table line: {line!r}")
    return [cell.strip() for cell in _CELL_SEPARATOR.split(inner[1:-1])]


def parse_table(text: str) -> dict[int, Row]:
    """The numbered rows of the reliability table: the Markdown table whose header starts with `#`
    and has a `Proven in` column. Rows must be numbered 1, 2, 3... and name a known environment."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            continue
        header = [cell.lower() for cell in _cells(line)]
        if header[0] == "#" and "proven in" in header:
            break
    else:
        raise ValueError("no table with a '#' column and a 'Proven in' column")
    where = header.index("proven in")
    rows: dict[int, Row] = {}
    for line in lines[index + 2:]:  # after the header and its --- line
        if not line.lstrip().startswith("|"):
            break
        cells = _cells(line)
        if len(cells) != len(header):
            raise ValueError(f"row {cells[0]!r} has {len(cells)} cells, the header {len(header)}")
        if not cells[0].isdigit():
            raise ValueError(f"row number {cells[0]!r} is not a number")
        number, proven_in = int(cells[0]), cells[where].strip("`")
        if number != len(rows) + 1:
            raise ValueError(f"row {number} follows row {len(rows)}: rows are numbered 1, 2, 3...")
        if proven_in not in ENVIRONMENTS:
            raise ValueError(f"row {number}: 'Proven in' is {proven_in!r}, not one of {', '.join(ENVIRONMENTS)}")
        rows[number] = Row(number=number, scenario=cells[1], proven_in=proven_in)
    if not rows:
        raise ValueError("the reliability table has no rows")
    return rows


def required_rows(rows: dict[int, Row], *, postgresql: bool, processes: bool) -> set[int]:
    """The rows this run must prove, given its database and whether its drills ran."""
    wanted = {"any"} | ({"postgresql"} if postgresql else set()) | ({"processes"} if processes else set())
    return {number for number, row in rows.items() if row.proven_in in wanted}


def marked_rows(marks, known: dict[int, Row]) -> set[int]:
    """The rows named by an item's `reliability` marks; ValueError on a mark naming no known row."""
    found: set[int] = set()
    for mark in marks:
        if mark.kwargs or not mark.args:
            raise ValueError("use @pytest.mark.reliability(<row>, ...) with row numbers only")
        for row in mark.args:
            if isinstance(row, bool) or not isinstance(row, int) or row not in known:
                raise ValueError(f"reliability({row!r}): docs/reliability.md has no row {row!r}")
            found.add(row)
    return found


def covers_the_suite(args: list[str], invocation_dir: Path, tests_dir: Path = TESTS) -> bool:
    """Whether these path arguments collect the whole tests/ tree: each is tests/ or a folder above it."""
    if not args:
        return False
    for arg in args:
        if "::" in arg:
            return False
        path = (invocation_dir / arg).resolve()
        if not (path == tests_dir or path in tests_dir.parents):
            return False
    return True


class ReliabilityCheck:
    def __init__(self, config: pytest.Config, rows: dict[int, Row]):
        self.config = config
        self.rows = rows
        self.rows_of: dict[str, set[int]] = {}
        self.drills: set[str] = set()
        self.drills_ran = False
        self.deselected = 0
        self.called: set[str] = set()
        self.broken: set[str] = set()
        self.proven: set[int] = set()
        self.unproven: list[int] = []

    # --- collection ---

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        problems = []
        for item in items:
            try:
                rows = marked_rows(item.iter_markers(MARKER), self.rows)
            except ValueError as error:
                problems.append(f"{item.nodeid}: {error}")
                continue
            if rows:
                self.rows_of[item.nodeid] = rows
            if item.get_closest_marker("drill"):
                self.drills.add(item.nodeid)
        if problems:
            raise pytest.UsageError("reliability markers:\n  " + "\n  ".join(problems))

    def pytest_deselected(self, items):
        self.deselected += len(items)

    # --- results ---

    def pytest_runtest_logreport(self, report):
        nodeid = report.nodeid
        if report.when == "call" and nodeid in self.drills and not report.skipped:
            self.drills_ran = True
        if report.failed or report.skipped or hasattr(report, "wasxfail"):
            self.broken.add(nodeid)
        elif report.when == "call":
            self.called.add(nodeid)
        if report.when == "teardown" and nodeid in self.called and nodeid not in self.broken:
            self.proven |= self.rows_of.get(nodeid, set())

    # --- the verdict ---

    def whole_suite(self) -> bool:
        option = self.config.option
        mode = option.reliability_check
        if mode != "auto":
            return mode == "on"
        if option.collectonly or option.keyword or option.markexpr or self.deselected:
            return False
        return covers_the_suite(list(self.config.args), self.config.invocation_params.dir)

    @staticmethod
    def database_is_postgresql() -> bool:
        from django.conf import settings

        return settings.configured and "postgresql" in settings.DATABASES["default"]["ENGINE"]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not self.whole_suite():
            return
        required = required_rows(self.rows, postgresql=self.database_is_postgresql(), processes=self.drills_ran)
        self.unproven = sorted(required - self.proven)
        if self.unproven:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        if not self.unproven:
            return
        terminalreporter.write_sep("=", "docs/reliability.md: rows no passing test proved", red=True, bold=True)
        for number in self.unproven:
            row = self.rows[number]
            terminalreporter.write_line(f"row {number} ({row.proven_in}): {row.scenario}")
        terminalreporter.write_line(f"Mark a test that proves the row with @pytest.mark.{MARKER}(<row>) and make it pass.")


def pytest_addoption(parser):
    parser.addoption(
        "--reliability-check", choices=("auto", "on", "off"), default="auto",
        help="fail the run when a row of docs/reliability.md has no passing test marked reliability(row): "
             "auto (default) checks whole-suite runs only",
    )


def pytest_configure(config):
    try:
        rows = parse_table(DOCUMENT.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise pytest.UsageError(f"{DOCUMENT.relative_to(ROOT)}: {error}") from error
    config.pluginmanager.register(ReliabilityCheck(config, rows), "reliability-check")
