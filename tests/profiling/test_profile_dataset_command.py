"""The profile_dataset command: the worker's code on a file, as JSON or text, and its error contract."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from datasets.builtins import load_builtin

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def penguins_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("command") / "penguins.csv"
    load_builtin("penguins").to_csv(path, index=False)
    return path


def test_json_output_is_one_object_with_the_documented_keys(penguins_csv, capsys):
    call_command("profile_dataset", str(penguins_csv), "--json", "--time-budget", "120")
    profile = json.loads(capsys.readouterr().out)
    assert profile["target"] == "species" and profile["target_proposed"] is True
    assert profile["rows"] == 344 and profile["task"] == "multiclass"
    assert profile["load"]["encoding"] == "utf-8" and profile["load"]["delimiter"] == "comma"
    assert {b["model"] for b in profile["baselines"]} >= {"Majority class (dummy)", "Random forest"}
    assert profile["sampled_rows"] is None and profile["seconds"] > 0


def test_text_output_names_the_target_and_the_best_model(penguins_csv, capsys):
    call_command("profile_dataset", str(penguins_csv), "--target", "island", "--time-budget", "10")
    out = capsys.readouterr().out
    assert "target: island" in out and "best model:" in out and "Logistic regression" in out


def test_bad_input_prints_one_error_line_and_exits_non_zero(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SystemExit) as exited:
        call_command("profile_dataset", str(empty))
    captured = capsys.readouterr()
    assert exited.value.code == 1
    assert captured.err.strip().splitlines() == ["error: The file is empty."]


def test_bad_input_with_json_prints_the_error_object(tmp_path, capsys):
    pickle = tmp_path / "model.pkl"
    pickle.write_bytes(b"\x80\x04\x95")
    with pytest.raises(SystemExit):
        call_command("profile_dataset", str(pickle), "--json")
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "bad_format" and "pickle" in error["message"]


def test_unknown_target_is_an_error_not_a_traceback(penguins_csv, capsys):
    with pytest.raises(SystemExit):
        call_command("profile_dataset", str(penguins_csv), "--target", "wingspan")
    assert capsys.readouterr().err.startswith("error: “wingspan” is not a column")


def test_unknown_target_in_json_says_did_you_mean(penguins_csv, capsys):
    with pytest.raises(SystemExit):
        call_command("profile_dataset", str(penguins_csv), "--target", " Species", "--json")
    captured = capsys.readouterr()
    error = json.loads(captured.out)["error"]
    assert error["code"] == "unknown_target" and error["suggestions"] == ["species"]
    assert "island" in error["columns"] and "Did you mean “species”?" in error["message"]
    assert "Did you mean “species”?" in captured.err


def test_text_output_says_why_the_target_was_proposed(penguins_csv, capsys):
    call_command("profile_dataset", str(penguins_csv), "--time-budget", "10")
    assert "target: species (proposed: its name “species” is a usual name" in capsys.readouterr().out


def test_the_real_process_exits_1_with_no_traceback(tmp_path):
    missing = tmp_path / "nowhere.csv"
    finished = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "profile_dataset", str(missing), "--json"],
        capture_output=True, text=True, cwd=ROOT, env={"COURSEPROJ_NO_BOOTSTRAP": "1", "PATH": "/usr/bin:/bin"},
    )
    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr and finished.stderr.startswith("error: No such file")
    assert json.loads(finished.stdout)["error"]["code"] == "not_found"
