"""`manage.py match FILE`: reading a Google Form export, the JSON and table output, clear errors.

Rules 1-6 of issue 13 (form exports, ids, --roster/--unranked, --previous/--max-moves,
explanations, the JSON keys and usage errors) are in test_match_issue13.py.
"""
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from matching.management.commands.match import InputError, read_preferences

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str, str]:
    """Call the command in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("match", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit:
        status = exit.code
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def csv_file(tmp_path):
    def write(content: str | bytes, name: str = "choices.csv") -> str:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return str(path)

    return write


FORM = (
    "Timestamp,student,choice1,choice2,choice3\n"
    "2024-10-01 10:00,Ana,Iris,Wine,\n"
    "2024-10-01 10:01, bo ,iris,Penguins,\n"
    "2024-10-01 10:02,Cy,Digits,Wine,digits\n"
    "2024-10-01 10:03,Dee,,digits,Penguins\n"
    "2024-10-01 10:04,ana,Wine,iris,\n"
    "2024-10-01 10:05,,iris,,\n"
    "2024-10-01 10:06,Eve,,,\n"
)


def test_a_form_export_is_read_with_every_merge_reported():
    preferences = read_preferences(FORM.replace("ana,Wine", "Ana,Wine").encode())
    assert preferences.rankings == {
        "Ana": ["Wine", "Iris"],  # the later row wins
        "bo": ["Iris", "Penguins"],  # trimmed; dataset names matched ignoring case, first spelling kept
        "Cy": ["Digits", "Wine"],
        "Dee": ["Digits", "Penguins"],  # a blank cell moves later choices up
        "Eve": [],
    }
    notes = "\n".join(preferences.warnings)
    assert "Ana is on rows 2 and 6: row 6 was kept (latest timestamp)." in notes
    assert "Row 4 (Cy) lists Digits twice: kept at rank 1." in notes
    assert "Row 7 has choices but no student id: skipped." in notes


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolons_and_tabs_work_like_commas(delimiter):
    text = FORM.replace(",", delimiter)
    assert read_preferences(text.encode()).rankings == read_preferences(FORM.encode()).rankings


def test_windows_line_ends_and_quoted_cells_are_read():
    preferences = read_preferences(b'student,choice1,choice2\r\nAna,"Iris, the flowers",Wine\r\n')
    assert preferences.rankings == {"Ana": ["Iris, the flowers", "Wine"]}


def test_a_byte_order_mark_is_ignored():
    preferences = read_preferences("\ufeffstudent,choice1\nAna,Iris\n".encode("utf-8"))
    assert preferences.rankings == {"Ana": ["Iris"]} and preferences.notes == []


def test_a_windows_export_is_read_and_noted():
    preferences = read_preferences("student;choice1\nZoë;Café “data”\n".encode("cp1252"))
    assert preferences.rankings == {"Zoë": ["Café “data”"]}
    assert "Windows-1252" in preferences.notes[0]


def test_latin1_bytes_that_windows_leaves_undefined_still_decode():
    preferences = read_preferences(b"student,choice1\nAna,Iris\x81\n")
    assert preferences.rankings == {"Ana": ["Iris\x81"]} and "Latin-1" in preferences.notes[0]


def test_without_a_student_header_the_first_column_after_the_timestamp_is_the_student():
    text = "Timestamp,Name,First,Second\n2024,Ana,Iris,Wine\n"
    assert read_preferences(text.encode()).rankings == {"Ana": ["Iris", "Wine"]}


def test_an_email_column_is_the_id_wherever_it_is():
    text = "Student,Email Address,choice1\nAna,ana@example.com,Iris\n"
    preferences = read_preferences(text.encode())
    assert preferences.rankings == {"ana@example.com": ["Iris"]}
    assert "“Student”" in preferences.warnings[0]  # neither a name header nor a choice: ignored, named


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", "empty_file"),
        (b"  \n\n", "empty_file"),
        (b"student,choice1,choice2\n", "no_rows"),
        (b"student,choice1\n\n,\n", "no_rows"),
        (b"student\nAna\n", "no_choice_columns"),
        (b"Timestamp\n2024\n", "no_student_column"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_text"),
        (b'student,choice1\nAna,"' + b"x" * 200_000 + b'"\n', "bad_csv"),
    ],
)
def test_unusable_files_raise_a_coded_error(content, code):
    with pytest.raises(InputError) as error:
        read_preferences(content)
    assert error.value.code == code


def test_json_output_has_the_documented_shape(csv_file):
    status, out, err = run(csv_file(FORM), "--json")
    assert status == 0 and err == ""
    data = json.loads(out)
    assert set(data) == {"assignments", "circles", "quality", "warnings", "unranked", "moved", "explanations"}
    assert data["assignments"]["Eve"] is None and data["quality"]["unassigned"] == ["Eve"]
    assert data["circles"]["Digits"] == ["Cy", "Dee"]
    for key in ["buddy_rate", "achievable_buddy_rate", "mean_rank", "rank_profile", "unassigned",
                "violations", "optimal", "seconds", "pareto_optimal"]:
        assert key in data["quality"]
    assert data["quality"]["violations"] == 0 and data["quality"]["optimal"] is True
    assert len(data["warnings"]) == 2  # the row without an id, the repeated dataset
    assert data["explanations"]["Eve"]["reason"] == "empty_list"
    assert data["unranked"] == [] and data["moved"] == []


def test_options_reach_the_engine(csv_file):
    rows = "student,choice1\n" + "".join(f"s{i},Iris\n" for i in range(5))
    _, out, _ = run(csv_file(rows), "--json", "--max-size", "3", "--min-size", "3", "--objective", "squared")
    quality = json.loads(out)["quality"]
    assert (quality["min_size"], quality["max_size"], quality["objective"]) == (3, 3, "squared")
    assert quality["buddied"] == 3 and len(quality["unassigned"]) == 2


def test_the_table_shows_circles_quality_and_notes(csv_file):
    status, out, _ = run(csv_file(FORM))
    assert status == 0
    assert "Circles (minimum 2, maximum none):" in out
    assert "Without a dataset (empty list, or every choice full): Eve" in out
    assert "Proven optimal" in out and "violations: 0" in out
    assert "Warnings:" in out and "lists Digits twice" in out


def test_a_maximum_below_the_minimum_is_a_result_with_a_warning(csv_file):
    status, out, _ = run(csv_file(FORM), "--max-size", "1")
    assert status == 0 and "- The maximum (1) is below the minimum (2)" in out


@pytest.mark.parametrize(
    "content, args, code",
    [
        (b"", [], "empty_file"),
        (b"student,choice1\n", [], "no_rows"),
        (b"student,choice1\nAna,Iris\n", ["--min-size", "0"], "invalid_option"),
        (b"student,choice1\nAna,Iris\n", ["--max-size", "0"], "invalid_option"),
    ],
)
def test_errors_are_one_line_and_a_json_object(csv_file, content, args, code):
    path = csv_file(content)
    status, out, err = run(path, *args)
    assert status == 1 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    status, out, err = run(path, *args, "--json")
    assert status == 1 and json.loads(out)["error"]["code"] == code
    assert err.startswith("error: ")


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path):
    status, out, err = run(str(tmp_path / "nope.csv"), "--json")
    assert status == 1 and json.loads(out) == {
        "error": {"code": "not_found", "message": f"{tmp_path / 'nope.csv'}: no such file"}
    }


def test_from_the_shell_errors_exit_non_zero_with_an_error_line(csv_file):
    path = csv_file(b"student,choice1\n")
    done = subprocess.run(
        [sys.executable, "manage.py", "match", path, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"error: {path}: the file has a header but no students"]
    assert json.loads(done.stdout)["error"]["code"] == "no_rows"
    usage = subprocess.run(
        [sys.executable, "manage.py", "match", path, "--objective", "fair"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert usage.returncode == 2 and usage.stderr.startswith("error: argument --objective")
