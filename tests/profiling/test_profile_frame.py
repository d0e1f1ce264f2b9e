"""profile_frame on crafted frames and on the built-in datasets: keys, warnings, target, baselines."""
import json

import numpy as np
import pandas as pd
import pytest

from datasets.builtins import BUILTINS, load_builtin
from datasets.profiling import ProfileError, load_table, profile_frame

BUDGET = 10
METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "log_loss", "fit_seconds")


def _table(rows: int = 120, seed: int = 0, **extra) -> pd.DataFrame:
    """Two informative numbers, a category and a binary target named "label"."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    frame = pd.DataFrame({
        "x1": x1,
        "x2": x2,
        "colour": rng.choice(["red", "green", "blue"], size=rows),
        "label": np.where(x1 + 0.5 * x2 + rng.normal(scale=0.5, size=rows) > 0, "yes", "no"),
    })
    for name, values in extra.items():
        frame[name] = values
    return frame


def _profile(frame, **kwargs) -> dict:
    return profile_frame(frame, time_budget=BUDGET, **kwargs)


def _codes(profile: dict) -> dict[str, list]:
    codes: dict[str, list] = {}
    for warning in profile["warnings"]:
        codes.setdefault(warning["code"], []).append(warning["column"])
    return codes


@pytest.fixture(scope="module")
def iris_profile():
    # A budget no busy machine runs out of: these tests check that every baseline is there.
    return profile_frame(load_builtin("iris"), target="species", time_budget=120)


def test_iris_profile_has_every_key_the_report_reads(iris_profile):
    for key in ("rows", "columns", "target", "task", "classes", "column_types", "missing", "warnings", "baselines",
                "best_model", "baseline_to_beat", "learning_curve", "confusion_matrix", "sampled_rows", "seconds",
                "cv_folds", "target_proposed", "cardinality"):
        assert key in iris_profile, key
    assert (iris_profile["rows"], iris_profile["columns"], iris_profile["task"]) == (150, 5, "multiclass")
    assert iris_profile["classes"] == {"setosa": 50, "versicolor": 50, "virginica": 50}
    assert iris_profile["sampled_rows"] is None


def test_iris_best_balanced_accuracy_is_above_ninety_percent(iris_profile):
    best = next(b for b in iris_profile["baselines"] if b["model"] == iris_profile["best_model"])
    assert best["balanced_accuracy"] > 0.9
    to_beat = iris_profile["baseline_to_beat"]
    assert {key: to_beat[key] for key in ("model", "metric", "value", "std", "log_loss", "rows", "folds")} == {
        "model": best["model"], "metric": "balanced_accuracy", "value": best["balanced_accuracy"],
        "std": best["balanced_accuracy_std"], "log_loss": best["log_loss"], "rows": 150, "folds": 5}
    assert to_beat["estimator"].split("(")[0] in ("Pipeline", "HistGradientBoostingClassifier", "RandomForestClassifier",
                                                  "DecisionTreeClassifier")


def test_all_eight_baselines_are_present_with_finite_metrics(iris_profile):
    names = [b["model"] for b in iris_profile["baselines"]]
    assert names == ["Majority class (dummy)", "Naive Bayes", "Logistic regression", "Histogram gradient boosting",
                     "Decision tree", "k-nearest neighbours", "Neural network (MLP)", "Random forest"]
    for baseline in iris_profile["baselines"]:
        for metric in METRICS:
            assert np.isfinite(baseline[metric]), (baseline["model"], metric)


def test_learning_curve_and_confusion_matrix_are_consistent(iris_profile):
    curve = iris_profile["learning_curve"]
    assert curve["metric"] == "balanced_accuracy"
    assert len(curve["train_sizes"]) == len(curve["train_scores"]) == len(curve["validation_scores"]) == 4
    assert curve["train_sizes"] == sorted(curve["train_sizes"])
    confusion = iris_profile["confusion_matrix"]
    assert confusion["labels"] == ["setosa", "versicolor", "virginica"]
    assert sum(map(sum, confusion["matrix"])) == 150


def test_profile_is_strict_json_without_nan(iris_profile):
    json.dumps(iris_profile, allow_nan=False)


def test_same_table_gives_the_same_numbers_twice():
    # A budget no busy machine runs out of: a cut fold would change the numbers.
    first, second = (profile_frame(load_builtin("penguins"), target="species", time_budget=300) for _ in range(2))
    strip = lambda p: [{k: v for k, v in b.items() if k != "fit_seconds"} for b in p["baselines"]]  # noqa: E731
    assert strip(first) == strip(second)
    assert first["learning_curve"] == second["learning_curve"]
    assert first["confusion_matrix"] == second["confusion_matrix"]


@pytest.mark.parametrize("key", sorted(BUILTINS))
def test_every_builtin_profiles_with_useful_baselines(key):
    builtin = BUILTINS[key]
    profile = _profile(load_builtin(key), target=builtin.target)
    best = max(b["balanced_accuracy"] for b in profile["baselines"])
    assert best > 0.9
    json.dumps(profile, allow_nan=False)


def test_target_named_like_a_target_is_proposed():
    frame = _table()
    frame.insert(0, "label", frame.pop("label"))
    profile = _profile(frame)
    assert profile["target"] == "label" and profile["target_proposed"] is True


def test_without_a_telling_name_the_last_low_cardinality_column_is_proposed():
    frame = _table().rename(columns={"label": "answer"})
    frame["note"] = [f"row {i} says something long and different each time" for i in range(len(frame))]
    assert _profile(frame)["target"] == "answer"


def test_no_plausible_target_is_a_clear_error():
    rng = np.random.default_rng(1)
    with pytest.raises(ProfileError) as caught:
        _profile(pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50)}))
    assert caught.value.code == "no_target"


def test_unknown_target_is_a_clear_error():
    with pytest.raises(ProfileError) as caught:
        _profile(_table(), target="nope")
    assert caught.value.code == "unknown_target"


def test_continuous_target_is_refused_as_regression():
    frame = _table()
    frame["price"] = np.arange(len(frame)) * 1.5
    with pytest.raises(ProfileError) as caught:
        _profile(frame, target="price")
    assert caught.value.code == "regression_target"


def test_text_target_with_too_many_classes_is_refused():
    frame = _table(rows=300)
    frame["city"] = [f"town {i % 150}" for i in range(300)]
    with pytest.raises(ProfileError) as caught:
        _profile(frame, target="city")
    assert caught.value.code == "too_many_classes"


def test_single_class_target_is_refused():
    frame = _table()
    frame["label"] = "yes"
    with pytest.raises(ProfileError) as caught:
        _profile(frame, target="label")
    assert caught.value.code == "single_class"


def test_rows_without_a_target_are_dropped_and_counted():
    frame = _table()
    frame.loc[:9, "label"] = None
    profile = _profile(frame, target="label")
    assert sum(profile["classes"].values()) == len(frame) - 10
    assert "missing_target" in _codes(profile)


def test_small_class_warns_below_thirty_examples():
    frame = _table(rows=200)
    frame.loc[:11, "label"] = "rare"
    codes = _codes(_profile(frame, target="label"))
    assert codes["small_class"] == ["label"]


def test_heavy_imbalance_warns_and_weights_the_classes():
    frame = _table(rows=300)
    frame["label"] = np.where(np.arange(300) < 40, "yes", "no")
    profile = _profile(frame, target="label")
    assert "heavy_imbalance" in _codes(profile)
    weighted = {b["model"]: b["class_weighted"] for b in profile["baselines"]}
    assert weighted["Logistic regression"] is True


def test_identifier_and_constant_columns_warn_and_are_left_out():
    frame = _table(customer_id=np.arange(1000, 1120), country="NL")
    profile = _profile(frame, target="label")
    codes = _codes(profile)
    assert codes["identifier_column"] == ["customer_id"] and codes["constant_column"] == ["country"]
    assert profile["column_types"]["customer_id"] == "identifier"
    assert profile["features"]["dropped"] == {"customer_id": "an identifier", "country": "constant"}


def test_a_column_that_copies_the_target_is_reported_as_a_leak_and_dropped():
    frame = _table(rows=300)
    frame["outcome_code"] = frame["label"].map({"yes": "Y", "no": "N"})
    profile = _profile(frame, target="label")
    assert _codes(profile)["target_leak"] == ["outcome_code"]
    assert "outcome_code" not in profile["features"]["used"]


def test_ordinary_strong_features_are_not_called_leaks(iris_profile):
    assert "target_leak" not in _codes(iris_profile)


def test_free_text_column_is_typed_text_and_left_out():
    frame = _table(review=[f"customer number {i} wrote a fairly long review here" for i in range(120)])
    profile = _profile(frame, target="label")
    assert profile["column_types"]["review"] == "text" and "text_column" in _codes(profile)


def test_dates_are_typed_datetime_and_used_as_numbers():
    frame = _table(day=pd.date_range("2024-01-01", periods=120).strftime("%Y-%m-%d"))
    profile = _profile(frame, target="label")
    assert profile["column_types"]["day"] == "datetime" and "day" in profile["features"]["used"]


def test_big_tables_are_sampled_and_the_sample_is_reported():
    frame = _table(rows=12_000)
    profile = _profile(frame, target="label")
    assert profile["sampled_rows"] is not None and profile["sampled_rows"] < 12_000
    assert "sampled" in _codes(profile)
    rows = {b["model"]: b["rows"] for b in profile["baselines"]}
    assert rows["Majority class (dummy)"] == 12_000 and rows["k-nearest neighbours"] == 5_000


def test_too_large_for_memory_is_estimated_from_the_table(monkeypatch):
    from datasets.profiling import checks

    monkeypatch.setattr(checks, "NOTEBOOK_BYTES", 1000)
    assert "too_large_for_memory" in _codes(_profile(_table(), target="label"))


def test_an_exhausted_time_budget_skips_models_and_says_so():
    profile = profile_frame(_table(rows=2000), target="label", time_budget=0)
    assert [b["model"] for b in profile["baselines"]] == ["Majority class (dummy)"]
    assert "time_budget" in _codes(profile)


def test_progress_moves_forward_to_done():
    calls = []
    profile_frame(_table(), target="label", time_budget=BUDGET, progress=lambda f, s: calls.append((f, s)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and calls[-1] == (1.0, "done")
    assert any("Random forest" in stage for _, stage in calls)


def test_load_facts_become_warnings_and_the_load_key(write):
    path = write("eu.csv", ("height;colour;label\n" + "".join(
        f"{1 + i % 7},{i % 10};{'red' if i % 3 else 'blue'};{'yes' if i % 2 else 'no'}\n" for i in range(60)
    ) + "1;2\n").encode("cp1252"))
    loaded = load_table(path)
    profile = _profile(loaded.frame, target="label", load_info=loaded)
    codes = _codes(profile)
    assert "decimal_comma" in codes and "ragged_rows" in codes
    assert profile["load"]["delimiter"] == "semicolon" and profile["load"]["ragged_rows_skipped"] == 1


@pytest.mark.reliability(11)
def test_duplicate_names_in_a_frame_are_renamed_visibly():
    frame = _table()
    frame.columns = ["x", "x", "colour", "label"]
    profile = _profile(frame, target="label")
    assert list(profile["column_types"]) == ["x", "x.1", "colour", "label"]
    assert "renamed_columns" in _codes(profile)
