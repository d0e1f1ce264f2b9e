"""Issue 12, point 6: the starter notebook executes and prints the profile's baseline to 3 decimals."""
import json

import nbformat
import pytest
from django.core.management import call_command

from datasets.builtins import BUILTINS, load_builtin
from datasets.profiling import ProfileError, load_table, profile_frame
from datasets.profiling.notebook import build_notebook, notebook_write


def _profiled_csv(tmp_path, key):
    path = tmp_path / f"{key}.csv"
    load_builtin(key).to_csv(path, index=False)
    loaded = load_table(path)
    return path, profile_frame(loaded.frame, target=BUILTINS[key].target, load_info=loaded, time_budget=120)


@pytest.mark.parametrize("key", sorted(BUILTINS))
def test_the_notebook_of_each_builtin_reproduces_its_baseline(tmp_path, key):
    path, profile = _profiled_csv(tmp_path, key)
    out = tmp_path / "notebook" / f"{key}.ipynb"
    result = notebook_write(profile, path, out, timeout=240)
    assert result["executed"] is True and result["matches_profile"] is True
    assert round(result["baseline_balanced_accuracy"], 3) == round(profile["baseline_to_beat"]["value"], 3)
    assert (tmp_path / "notebook" / f"{key}.csv").is_file()
    notebook = nbformat.read(out, as_version=4)
    images = [o for c in notebook.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # class balance and the two learning curves
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "What to try next" in text and "Log loss" in text and "How to read them" in text


def test_a_profile_cut_short_by_its_budget_is_reproduced_fold_for_fold(tmp_path, monkeypatch):
    """The deadline stopped the best model after 2 of 5 folds: the notebook scores the same 2 folds."""
    from datasets.profiling import baselines

    monkeypatch.setattr(baselines, "_out_of_time", lambda deadline, done: done >= 2)
    path = tmp_path / "wine.csv"
    load_builtin("wine").to_csv(path, index=False)
    loaded = load_table(path)
    profile = profile_frame(loaded.frame, target="cultivar", load_info=loaded, time_budget=300)
    assert profile["baseline_to_beat"]["folds"] == 2 and profile["baseline_to_beat"]["planned_folds"] == 5
    result = notebook_write(profile, path, tmp_path / "out" / "wine.ipynb", timeout=120)
    assert result["matches_profile"] is True


def test_the_notebook_reads_the_file_with_the_profilers_parsing(tmp_path, capfd):
    rows = "".join(f"{1 + i % 7},{i % 10};{'red' if i % 3 else 'NA'};{'yes' if (i * 7) % 5 > 1 else 'no'}\n" for i in range(80))
    path = tmp_path / "eu.csv"
    path.write_bytes(("height;colour;label\n" + rows).encode("cp1252"))
    loaded = load_table(path)
    profile = profile_frame(loaded.frame, target="label", load_info=loaded, time_budget=10)
    source = "\n".join(c.source for c in build_notebook(profile, "eu.csv").cells)
    assert "sep=';'" in source and 'decimal=","' in source and "'NA'" in source and "keep_default_na=False" in source
    result = notebook_write(profile, path, tmp_path / "out" / "eu.ipynb", timeout=120)
    assert result["matches_profile"] is True
    # The kernel is reached over Unix sockets, so it has no plain-text TCP to warn about in the worker's log.
    assert "IPKernelApp" not in capfd.readouterr().err


def test_a_failing_notebook_is_a_profile_error_with_the_cause(tmp_path):
    path, profile = _profiled_csv(tmp_path, "iris")
    path.write_text("something,else\n1,2\n")  # the data changed under the notebook
    with pytest.raises(ProfileError) as caught:
        notebook_write(profile, path, tmp_path / "out" / "iris.ipynb", timeout=60)
    assert caught.value.code == "notebook_failed" and "KeyError" in caught.value.message


def test_command_writes_the_notebook_and_reports_it_in_json(tmp_path, capsys):
    path = tmp_path / "penguins.csv"
    load_builtin("penguins").to_csv(path, index=False)
    out = tmp_path / "nb" / "penguins.ipynb"
    call_command("profile_dataset", str(path), "--json", "--notebook", str(out))
    profile = json.loads(capsys.readouterr().out)
    notebook = profile["notebook"]
    assert notebook["path"] == str(out) and notebook["executed"] is True
    assert round(notebook["baseline_balanced_accuracy"], 3) == round(profile["baseline_to_beat"]["value"], 3)
    assert out.is_file() and (tmp_path / "nb" / "penguins.csv").is_file()
