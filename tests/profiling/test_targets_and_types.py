"""Issue 12: column types on real-looking data, a target the student can fix, the proposal and its reason."""
import numpy as np
import pandas as pd
import pytest

from datasets.profiling import ProfileError, profile_frame
from datasets.profiling.columns import column_facts, suggestions

BUDGET = 10


def _profile(frame, **kwargs):
    return profile_frame(frame, time_budget=BUDGET, **kwargs)


def _credit(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Like the credit default table: a customer code, a fractional balance (the strongest predictor)."""
    rng = np.random.default_rng(seed)
    balance = np.round(rng.gamma(2.0, 400.0, size=rows) + rng.random(rows), 6)
    income = np.round(rng.normal(35_000, 12_000, size=rows), 2)
    default = np.where(balance + rng.normal(scale=250, size=rows) > 1_300, "Yes", "No")
    return pd.DataFrame({
        "customer_id": np.arange(10_001, 10_001 + rows),
        "student": rng.choice(["Yes", "No"], size=rows),
        "balance": balance,
        "income": income,
        "default": default,
    })


def test_fractional_measurements_are_numeric_not_identifiers():
    profile = _profile(_credit(), target="default")
    assert profile["column_types"]["balance"] == "numeric" and profile["column_types"]["income"] == "numeric"
    assert profile["column_types"]["customer_id"] == "identifier"
    assert "balance" in profile["features"]["used"]
    reasons = profile["features"]["reasons"]
    assert "identifier" in reasons["customer_id"] and "balance" not in reasons


def test_numbers_stored_as_text_are_numeric_and_used():
    """A double header (like the Parkinson's speech table) leaves every measurement as text."""
    frame = _credit()
    frame["balance"] = frame["balance"].map(lambda v: f"{v:.6f}")
    frame["income"] = frame["income"].map(lambda v: f"{v:.2f}".replace(".", ","))
    profile = _profile(frame, target="default")
    assert profile["column_types"]["balance"] == "numeric" and profile["column_types"]["income"] == "numeric"
    assert {"balance", "income"} <= set(profile["features"]["used"])
    best = profile["baseline_to_beat"]["value"]
    assert best > 0.8


def test_string_codes_and_named_integer_codes_are_identifiers():
    rows = 100
    codes = pd.Series([f"C{n:05d}" for n in np.random.default_rng(0).permutation(rows)], name="order")
    assert column_facts(codes).kind == "identifier"
    shuffled = pd.Series(np.random.default_rng(1).permutation(rows) + 5000, name="patient_code")
    assert column_facts(shuffled).kind == "identifier"
    unnamed = pd.Series(np.random.default_rng(1).permutation(rows) + 5000, name="weight_g")
    assert column_facts(unnamed).kind == "numeric"


def test_low_cardinality_integers_are_numeric_and_flagged_for_one_hot():
    fact = column_facts(pd.Series(np.arange(300) % 7 + 1, name="rating"))
    assert fact.kind == "numeric" and fact.small_integer
    assert not column_facts(pd.Series(np.arange(300) * 0.5, name="x")).small_integer


def test_every_column_carries_a_reason_when_left_out():
    frame = _credit()
    frame["country"] = "NL"
    frame["note"] = [f"customer {i} wrote a fairly long and different note here" for i in range(len(frame))]
    profile = _profile(frame, target="default")
    details = {d["name"]: d for d in profile["column_details"]}
    assert details["country"]["used"] is False and "constant" in details["country"]["reason"]
    assert details["note"]["used"] is False and "free text" in details["note"]["reason"]
    assert details["balance"]["used"] is True and "reason" not in details["balance"]


def test_unknown_target_lists_columns_and_suggests_the_close_one():
    frame = _credit().rename(columns={"default": "outcome"})
    with pytest.raises(ProfileError) as caught:
        _profile(frame, target="Outcome ")
    error = caught.value
    assert error.code == "unknown_target"
    assert error.details["suggestions"][0] == "outcome" and "Did you mean “outcome”?" in error.message
    assert error.details["columns"] == list(frame.columns) and "“balance”" in error.message
    assert error.as_dict()["code"] == "unknown_target"


def test_suggestions_by_edit_distance_and_none_when_nothing_is_close():
    assert suggestions("balanse", ["balance", "income"]) == ["balance"]
    assert suggestions("zzz", ["balance", "income"]) == []


def test_a_quantity_named_as_target_is_a_regression_error():
    frame = _credit()
    with pytest.raises(ProfileError) as caught:
        _profile(frame, target="balance")
    assert caught.value.code == "regression_target" and "qcut" in caught.value.message


def test_a_single_class_target_is_refused():
    frame = _credit()
    frame["default"] = "No"
    with pytest.raises(ProfileError) as caught:
        _profile(frame, target="default")
    assert caught.value.code == "single_class" and "nothing to classify" in caught.value.message


def _houses(rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rooms = rng.integers(1, 6, size=rows)
    area = np.round(rng.normal(90, 25, size=rows), 1)
    return pd.DataFrame({"rooms": rooms, "area": area, "price": np.round(area * 3100 + rooms * 9000 + rng.normal(0, 9000, rows))})


def test_a_count_is_never_proposed_on_a_house_price_table():
    with pytest.raises(ProfileError) as caught:
        _profile(_houses())
    assert caught.value.code == "no_target" and "“price”" in caught.value.message and "Bin" in caught.value.message


def test_a_better_candidate_wins_over_a_count_and_says_why():
    frame = _houses()
    frame["price_band"] = pd.qcut(frame["price"], 3, labels=["low", "mid", "high"]).astype(str)
    frame = frame[["rooms", "area", "price_band", "price"]]
    profile = _profile(frame)
    assert profile["target"] == "price_band" and profile["target_proposed"] is True
    assert "categories" in profile["target_reason"]


def test_a_target_named_like_a_target_is_proposed_with_its_reason():
    frame = _credit().rename(columns={"default": "label"})
    frame.insert(0, "label", frame.pop("label"))
    profile = _profile(frame)
    assert profile["target"] == "label" and "usual name" in profile["target_reason"]


def test_the_last_column_is_proposed_when_plausible():
    frame = _credit().rename(columns={"default": "answer"})
    profile = _profile(frame)
    assert profile["target"] == "answer" and "last column" in profile["target_reason"]


def test_codes_with_leading_zeros_stay_text():
    fact = column_facts(pd.Series(["007", "012", "123", "045"] * 10, name="postcode"))
    assert fact.kind == "categorical" and not fact.numeric_text


def test_the_raw_penguins_file_as_shipped_keeps_its_isotope_measurements_numeric():
    # palmerpenguins' own CSV writes doubles with 17 digits ("8.3945900000000009"): a long fraction is a
    # measurement, not a code. Read from the file (not the package's DataFrame), as a student's upload is.
    from pathlib import Path

    import palmerpenguins

    from datasets.profiling import load_table

    loaded = load_table(Path(palmerpenguins.__file__).parent / "data" / "penguins-raw.csv")
    for name in ("Delta 15 N (o/oo)", "Delta 13 C (o/oo)"):
        assert loaded.frame[name].dtype == np.float64, name
        assert loaded.missing_markers[name] > 0  # its "NA" cells are missing values
    profile = _profile(loaded.frame, target="Species", load_info=loaded)
    assert profile["column_types"]["Delta 15 N (o/oo)"] == "numeric"
    assert not [c for c, kind in profile["column_types"].items() if kind == "identifier"
                and loaded.frame[c].dtype == np.float64]


def test_a_whole_number_of_more_than_15_digits_is_still_a_code():
    import re

    from datasets.profiling.loading import CODE_LIKE

    assert re.search(CODE_LIKE, "12345678901234567") and re.search(CODE_LIKE, "007")
    assert not re.search(CODE_LIKE, "8.3945900000000009") and not re.search(CODE_LIKE, "-0.5")
