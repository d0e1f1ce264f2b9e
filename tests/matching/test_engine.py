"""The matching engine on hand-made cases: edge cases, locks, objectives, related circles.

Plain functions, no database: the engine is plain Python.
"""
import json

import numpy as np
import pytest

from matching import engine
from matching.engine import first_choice_result, match


@pytest.mark.reliability(33)
def test_nobody_gives_an_empty_but_complete_result():
    result = match({})
    assert result.assignments == {} and result.circles == {} and result.alone == []
    assert result.quality["students"] == 0
    assert result.quality["buddy_rate"] is None and result.quality["mean_rank"] is None
    assert result.quality["optimal"] is True and result.quality["violations"] == 0
    json.dumps(result.to_dict(), allow_nan=False)


@pytest.mark.reliability(33)
def test_a_single_student_is_alone_on_their_first_choice():
    result = match({"ana": ["iris", "wine"]})
    assert result.assignments == {"ana": "iris"}
    assert result.alone == ["ana"]
    assert result.quality["buddy_rate"] == 0.0 and result.quality["achievable_buddy_rate"] == 0.0
    assert result.quality["violations"] == 0


@pytest.mark.reliability(33)
def test_everyone_on_the_same_dataset_forms_one_circle():
    rankings = {f"s{i}": ["iris"] for i in range(7)}
    result = match(rankings)
    assert result.circles == {"iris": sorted(rankings)}
    assert result.quality["buddy_rate"] == 1.0


def test_a_maximum_leaves_the_rest_unassigned_rather_than_over_full():
    rankings = {f"s{i}": ["iris"] for i in range(7)}
    result = match(rankings, max_size=3)
    assert len(result.circles["iris"]) == 3
    assert len(result.quality["unassigned"]) == 4
    assert all(result.assignments[s] is None for s in result.quality["unassigned"])
    assert result.quality["violations"] == 0


@pytest.mark.reliability(33)
def test_an_odd_class_puts_the_third_student_in_a_circle_of_three():
    result = match({"a": ["iris"], "b": ["iris"], "c": ["iris", "wine"]}, max_size=3)
    assert result.circles == {"iris": ["a", "b", "c"]}


def test_a_maximum_below_the_minimum_leaves_everyone_alone_with_a_warning():
    rankings = {"a": ["iris", "wine"], "b": ["iris", "wine"], "c": ["wine", "iris"]}
    result = match(rankings, min_size=2, max_size=1)
    assert result.quality["buddied"] == 0
    assert sorted(result.alone) == ["a", "b"] and result.quality["unassigned"] == ["c"]
    assert all(len(members) == 1 for members in result.circles.values())
    assert result.quality["violations"] == 0
    assert "below the minimum" in result.quality["warnings"][0]


def test_an_empty_list_is_unassigned_and_reported():
    result = match({"a": ["iris"], "b": ["iris"], "c": []})
    assert result.assignments["c"] is None
    assert result.quality["unassigned"] == ["c"]
    assert result.quality["rank_profile"]["unassigned"] == 1


def test_a_lock_on_a_dataset_nobody_listed_is_kept_and_reported_alone():
    result = match({"a": ["iris"], "b": ["iris"], "c": ["iris"]}, locks={"c": "mushrooms"})
    assert result.assignments["c"] == "mushrooms"
    assert result.alone == ["c"]
    assert result.quality["locked"] == 1 and result.quality["violations"] == 0
    assert result.quality["rank_profile"]["off_list"] == 1


def test_a_lock_for_a_student_without_a_list_still_places_them():
    result = match({"a": ["iris"]}, locks={"zoe": "iris"})
    assert result.circles == {"iris": ["a", "zoe"]}
    assert result.quality["buddied"] == 2


def test_locked_students_count_toward_the_minimum():
    # b alone could not open wine; with the lock on a, wine reaches two.
    result = match({"a": ["iris"], "b": ["wine"]}, locks={"a": "wine"})
    assert result.circles == {"wine": ["a", "b"]}
    assert result.quality["buddy_rate"] == 1.0


def test_locks_above_the_maximum_win_and_are_warned_about():
    locks = {"a": "iris", "b": "iris", "c": "iris"}
    result = match({"a": [], "b": [], "c": [], "d": ["iris"]}, max_size=2, locks=locks)
    assert result.circles["iris"] == ["a", "b", "c"]
    assert result.assignments["d"] is None
    assert result.quality["violations"] == 0
    assert any("above its maximum" in w for w in result.quality["warnings"])


def test_min_size_one_places_everyone_who_fits():
    result = match({"a": ["iris"], "b": ["wine"], "c": ["iris"]}, min_size=1, max_size=1)
    # a and c tie for the one seat on iris; either may get it, the other gets nothing.
    assert result.assignments["b"] == "wine"
    assert {result.assignments["a"], result.assignments["c"]} == {"iris", None}
    assert result.quality["buddied"] == 2 and len(result.quality["unassigned"]) == 1


def test_ranks_are_given_up_to_buddy_more_students():
    # Everyone on a first choice buddies three; moving a to its second buddies four.
    rankings = {"a": ["d", "e"], "b": ["d"], "x": ["d"], "c": ["e"]}
    result = match(rankings)
    assert result.circles == {"d": ["b", "x"], "e": ["a", "c"]}
    assert result.quality["rank_profile"]["2"] == 1


def test_the_squared_objective_prefers_two_second_choices_to_a_first_and_a_third():
    rankings = {"a": ["S", "P", "Q"], "b": ["P", "Q", "S"], "c": ["S", "P", "R"]}
    by_rank = match(rankings, min_size=1, max_size=1)
    by_square = match(rankings, min_size=1, max_size=1, objective="squared")
    # By rank, {1, 1, 3} and {1, 2, 2} tie at 5; squaring breaks the tie towards the even spread.
    assert by_rank.quality["cost"] == 5
    assert by_square.quality["rank_profile"] == {"1": 1, "2": 2, "off_list": 0, "unassigned": 0}


def test_a_repeated_dataset_keeps_its_best_rank():
    result = match({"a": ["iris", "wine", "iris"], "b": ["wine"]})
    assert result.circles == {"wine": ["a", "b"]}
    assert result.quality["rank_profile"]["2"] == 1


def test_an_alone_student_joins_the_most_similar_open_circle():
    rankings = {"a": ["iris"], "b": ["iris"], "c": ["wine"], "d": ["wine"], "e": ["penguins"]}
    scores = {frozenset({"penguins", "iris"}): 0.8, frozenset({"penguins", "wine"}): 0.3}

    def similarity(x, y):
        return 1.0 if x == y else scores.get(frozenset({x, y}), 0.0)

    placed = match(rankings, similarity=similarity)
    assert placed.assignments["e"] == "iris"
    assert placed.related == {"e": "iris"} and placed.alone == ["e"]
    assert placed.quality["related"] == 1 and placed.quality["violations"] == 0
    assert placed.explanations["e"]["reason"] == "related_circle"


def test_a_related_circle_needs_room_and_some_similarity():
    rankings = {"a": ["iris"], "b": ["iris"], "e": ["penguins"]}
    full = match(rankings, max_size=2, similarity=lambda x, y: 1.0 if x == y else 0.9)
    assert full.assignments["e"] == "penguins" and full.related == {}
    unrelated = match(rankings, similarity=lambda x, y: 1.0 if x == y else 0.0)
    assert unrelated.related == {}


def test_first_choice_result_is_the_naive_comparison():
    rankings = {"a": ["iris", "wine"], "b": ["wine"], "c": ["iris"], "d": []}
    result = first_choice_result(rankings)
    assert result.assignments == {"a": "iris", "b": "wine", "c": "iris", "d": None}
    assert result.alone == ["b"]
    assert result.quality["buddy_rate"] == 0.5 and result.quality["mean_rank"] == 1.0
    assert result.quality["method"] == "first_choice" and result.quality["optimal"] is False
    assert result.quality["achievable_buddy_rate"] is None and result.quality["gap"] is None
    json.dumps(result.to_dict(), allow_nan=False)


def test_to_dict_has_the_command_shape_and_is_plain_json():
    result = match({"a": ["iris"], "b": ["iris"], "c": ["wine"]})
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert set(data) == {"assignments", "circles", "alone", "related", "quality", "warnings", "unranked", "moved",
                         "explanations"}
    for key in ["students", "buddy_rate", "achievable_buddy_rate", "mean_rank", "rank_profile", "unassigned",
                "alone", "violations", "optimal", "gap", "method", "components", "seconds"]:
        assert key in data["quality"]


def test_input_order_does_not_change_the_result():
    rankings = {f"s{i}": [f"d{(i * 7 + j) % 9}" for j in range(3)] for i in range(40)}
    backwards = dict(reversed(list(rankings.items())))
    first, second = match(rankings, max_size=4), match(backwards, max_size=4)
    assert first.assignments == second.assignments


def test_the_heuristic_gives_a_valid_result_with_its_gap():
    rng = np.random.default_rng(7)
    rankings = {f"s{i:03d}": list(rng.choice(30, size=3, replace=False).astype(str)) for i in range(300)}
    result = match(rankings, min_size=3, max_size=8, exact_limit=20)
    quality = result.quality
    assert quality["method"] == "heuristic" and quality["violations"] == 0
    assert quality["buddied"] <= quality["bound"]["buddied"]
    assert quality["bound"]["cost"] <= quality["cost"]
    assert 0.0 <= quality["gap"] < 1.0
    exact = match(rankings, min_size=3, max_size=8)
    assert quality["buddied"] <= exact.quality["buddied"] <= quality["bound"]["buddied"]


def test_small_components_are_solved_exactly_next_to_a_heuristic_one():
    big = {f"s{i:03d}": ["iris", "wine", "digits"][i % 3:] + ["iris"] for i in range(60)}
    pair = {"x": ["mushrooms"], "y": ["mushrooms"]}
    result = match({**big, **pair}, exact_limit=10)
    assert result.quality["method"] == "mixed" and result.quality["components"] == 2
    assert result.circles["mushrooms"] == ["x", "y"]


def test_a_fractional_solver_answer_is_redone_with_integers(monkeypatch):
    # Two students, two single seats, equal total either way: halves are an optimal LP point.
    calls = []

    def halves_first(c, **kwargs):
        result = real_milp(c, **kwargs)
        if kwargs["integrality"].any():  # the MILP, not the LP relaxation tried first
            calls.append(kwargs["integrality"])
            if len(calls) == 1:
                result.x[:4] = 0.5
        elif result.x is not None:
            result.x[:4] = 0.5  # so the relaxation is not integral either
        return result

    real_milp = engine.milp
    monkeypatch.setattr(engine, "milp", halves_first)
    result = match({"a": ["X", "Y"], "b": ["Y", "X"]}, min_size=1, max_size=1, fairness=False, explain=False)
    assert len(calls) == 2 and calls[1].all()  # the second solve has every variable integer
    assert sorted(result.assignments.values()) == ["X", "Y"]
    assert result.quality["violations"] == 0


def _stopped_by_the_clock(monkeypatch, *, loosen: float):
    """Make every HiGHS answer look like a time-limited one, its dual bound `loosen` lower."""
    real_milp = engine.milp

    def stopped(c, **kwargs):
        result = real_milp(c, **kwargs)
        result.status = 1
        if result.mip_dual_bound is None:  # the LP relaxation tried first: pretend it ran out of time
            result.x = None
        else:
            result.mip_dual_bound -= loosen
        return result

    monkeypatch.setattr(engine, "milp", stopped)


CLASS = {f"s{i:02d}": [f"d{(i * 5 + j) % 11}" for j in range(3)] for i in range(30)}


def test_a_run_stopped_by_the_clock_is_still_proven_when_its_bounds_meet(monkeypatch):
    _stopped_by_the_clock(monkeypatch, loosen=0.0)
    quality = match(CLASS, min_size=3, max_size=4, fairness=False, explain=False).quality
    assert quality["optimal"] is True and quality["gap"] == 0.0


def test_a_run_stopped_by_the_clock_reports_a_gap_to_valid_bounds(monkeypatch):
    exact = match(CLASS, min_size=3, max_size=4).quality
    _stopped_by_the_clock(monkeypatch, loosen=1e6)
    quality = match(CLASS, min_size=3, max_size=4, fairness=False, explain=False).quality
    assert (quality["buddied"], quality["cost"]) == (exact["buddied"], exact["cost"])
    assert quality["bound"]["buddied"] >= exact["buddied"] and quality["bound"]["cost"] <= exact["cost"]
    assert quality["optimal"] is (quality["gap"] == 0.0)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"min_size": 0}, "min_size"),
        ({"max_size": 0}, "max_size"),
        ({"objective": "fair"}, "objective"),
        ({"max_moves": -1}, "max_moves"),
        ({"max_choices": 0}, "max_choices"),
        ({"time_limit": 0}, "time_limit"),
    ],
)
def test_invalid_options_are_refused_with_a_clear_message(options, message):
    with pytest.raises(ValueError, match=message):
        match({"a": ["iris"]}, **options)
