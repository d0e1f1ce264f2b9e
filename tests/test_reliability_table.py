"""docs/reliability.md and the plugin that checks every row of it is proven (tests/reliability_plugin.py)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import reliability_plugin as plugin

ROOT = Path(__file__).resolve().parent.parent

TABLE = """\
Intro text | with a pipe.

| value | meaning |
| --- | --- |
| `any` | not the row table |

| # | Scenario | Expected | Proven in |
|---|---|---|---|
| 1 | Empty upload | Refused | any |
| 2 | NUL \\| bytes | Stripped | postgresql |
| 3 | Worker killed | Recovered | `processes` |

After the table.
"""


def test_the_document_has_rows_1_to_46_each_saying_where_it_is_proven():
    rows = plugin.parse_table(plugin.DOCUMENT.read_text(encoding="utf-8"))
    assert list(rows) == list(range(1, 47))
    assert {row.proven_in for row in rows.values()} <= set(plugin.ENVIRONMENTS)
    # The fault rows need real processes; NUL bytes only fail on PostgreSQL.
    assert all(rows[number].proven_in == "processes" for number in range(36, 45))
    assert rows[14].proven_in == "postgresql"


def test_the_numbered_table_is_parsed_with_escaped_pipes_and_backticks():
    rows = plugin.parse_table(TABLE)
    assert list(rows) == [1, 2, 3]
    assert rows[2].scenario == "NUL \\| bytes"
    assert [rows[n].proven_in for n in (1, 2, 3)] == ["any", "postgresql", "processes"]


@pytest.mark.parametrize("broken, message", [
    (TABLE.replace("| 2 | NUL", "| 4 | NUL"), "row 4 follows row 1"),
    (TABLE.replace("| Stripped | postgresql |", "| Stripped | sqlite |"), "'Proven in' is 'sqlite'"),
    (TABLE.replace("| Proven in |", "| Where |"), "no table"),
    (TABLE.replace("| Recovered | `processes` |", "| Recovered |"), "has 3 cells, the header 4"),
    (TABLE.replace("| 1 | Empty", "| one | Empty"), "is not a number"),
])
def test_a_malformed_table_is_refused_with_the_reason(broken, message):
    with pytest.raises(ValueError, match=message):
        plugin.parse_table(broken)


def test_rows_are_required_by_database_and_by_whether_the_drills_ran():
    rows = plugin.parse_table(TABLE)
    assert plugin.required_rows(rows, postgresql=False, processes=False) == {1}
    assert plugin.required_rows(rows, postgresql=True, processes=False) == {1, 2}
    assert plugin.required_rows(rows, postgresql=False, processes=True) == {1, 3}
    assert plugin.required_rows(rows, postgresql=True, processes=True) == {1, 2, 3}


def test_a_marker_must_name_rows_of_the_table():
    rows = plugin.parse_table(TABLE)
    assert plugin.marked_rows([pytest.mark.reliability(1, 3).mark], rows) == {1, 3}
    for bad in (pytest.mark.reliability(4), pytest.mark.reliability("1"), pytest.mark.reliability(),
                pytest.mark.reliability(row=1)):
        with pytest.raises(ValueError):
            plugin.marked_rows([bad.mark], rows)


def test_only_paths_that_hold_all_of_tests_make_a_whole_suite_run():
    tests = ROOT / "tests"
    assert plugin.covers_the_suite(["tests"], ROOT, tests)
    assert plugin.covers_the_suite(["tests/"], ROOT, tests)
    assert plugin.covers_the_suite([str(tests)], Path("/"), tests)
    assert plugin.covers_the_suite(["."], ROOT, tests)
    assert plugin.covers_the_suite([".."], tests / "matching", tests)
    assert not plugin.covers_the_suite([], ROOT, tests)
    assert not plugin.covers_the_suite(["tests/matching"], ROOT, tests)
    assert not plugin.covers_the_suite(["tests", "tests/x.py::test_a"], ROOT, tests)
    assert not plugin.covers_the_suite(["."], tests / "matching", tests)


# --- the plugin in a real pytest run (a child pytest on a throwaway suite, the real document) ---

SUITE = '''
import pytest

@pytest.mark.reliability(1)
def test_passes():
    pass

@pytest.mark.reliability(2)
def test_skipped():
    pytest.skip("not here")

@pytest.mark.reliability(3)
def test_fails_in_teardown(broken_teardown):
    pass

@pytest.fixture
def broken_teardown():
    yield
    raise AssertionError("teardown")

@pytest.mark.reliability(4, 5)
@pytest.mark.xfail(reason="known")
def test_xfails():
    assert False
'''


def _run_child(tmp_path: Path, *args: str, suite: str = SUITE) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.reliability_plugin"]\n')
    (tmp_path / "test_rows.py").write_text(textwrap.dedent(suite))
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "PYTEST_"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:cacheprovider", "-q", "-rN",
         "-W", "ignore::pytest.PytestUnknownMarkWarning", "--rootdir", str(tmp_path), str(tmp_path), *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )


def _unproven(output: str) -> set[int]:
    section = output.split("docs/reliability.md: rows no passing test proved", 1)[1]
    return {int(line.split()[1]) for line in section.splitlines() if line.startswith("row ")}


def test_only_rows_whose_marked_test_passed_count_as_proven(tmp_path):
    result = _run_child(tmp_path, "--reliability-check=on")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    unproven = _unproven(output)
    # Row 1 passed; row 2 was skipped, row 3 failed in teardown, rows 4 and 5 xfailed: not proven.
    assert 1 not in unproven
    assert {2, 3, 4, 5} <= unproven
    # Nothing here is a drill and the child has no PostgreSQL: only `any` rows are required.
    assert 14 not in unproven and 36 not in unproven


def test_a_partial_run_is_not_checked(tmp_path):
    result = _run_child(tmp_path, "-k", "passes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rows no passing test proved" not in result.stdout


def test_a_marker_naming_an_unknown_row_stops_the_run(tmp_path):
    suite = "import pytest\n\n@pytest.mark.reliability(99)\ndef test_x():\n    pass\n"
    result = _run_child(tmp_path, suite=suite)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "docs/reliability.md has no row 99" in result.stderr
