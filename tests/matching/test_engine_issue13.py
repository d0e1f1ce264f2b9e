"""Issue 13 in the engine: unranked students, previous matchings with moves, solo by choice, the Pareto
check, explanations, long lists and the removed parameters. Plain functions, no database."""
import json

import pytest

from matching import engine
from matching.engine import REASONS, match


def ranked_score(result):
    return result.quality["buddied"], -result.quality["cost"]


# --- students who never ranked -------------------------------------------------------------------


def test_unranked_students_are_left_out_and_listed_by_default():
    result = match({"a": ["x"], "b": ["x"]}, unranked=["u2", "u1", "a"])
    assert result.unranked == ["u1", "u2"]  # "a" ranked: not unranked
    assert result.assignments["u1"] is None and result.quality["unranked"] == 2
    assert result.quality["students"] == 2  # the buddy rate is over students who ranked
    assert result.explanations["u1"]["reason"] == "unranked_no_room"


def test_helpers_bring_a_circle_up_to_the_minimum_at_no_cost_to_ranked_students():
    # min 3: x has two students; one unranked student makes it a circle of three.
    rankings = {"a": ["x"], "b": ["x"], "c": ["y"]}
    alone = match(rankings, min_size=3)
    helped = match(rankings, min_size=3, unranked=["u"], place_unranked=True)
    assert alone.quality["buddied"] == 0 and helped.quality["buddied"] == 2
    assert helped.circles["x"] == ["a", "b", "u"]
    assert helped.quality["unranked_placed"] == 1 and helped.unranked == []
    assert ranked_score(helped) >= ranked_score(alone)


def test_helpers_go_where_most_ranked_students_gain():
    # Two unranked: they can rescue y (needs 2) or z (needs 1, one student) - y+z is not possible with 2... y needs
    # 2 and z needs 1: the MILP takes whatever buddies the most ranked students.
    rankings = {"a": ["y"], "b": ["z"], "c": ["z"]}
    result = match(rankings, min_size=3, unranked=["u1", "u2"], place_unranked=True)
    assert result.quality["buddied"] == 2 and len(result.circles["z"]) >= 3


def test_the_rest_of_the_unranked_fill_used_datasets_up_to_the_maximum():
    rankings = {"a": ["x"], "b": ["x"], "c": ["y"], "d": ["y"]}
    result = match(rankings, max_size=3, unranked=["u1", "u2", "u3"], place_unranked=True)
    assert all(len(m) <= 3 for m in result.circles.values())
    assert result.quality["unranked_placed"] == 2 and result.unranked == ["u3"]
    assert result.explanations["u3"]["reason"] == "unranked_no_room"
    assert result.quality["violations"] == 0


# --- previous matching and moves ----------------------------------------------------------------


def test_with_no_moves_previous_students_keep_their_dataset_even_off_their_list():
    rankings = {"a": ["x", "y"], "b": ["y"], "c": ["y"], "new": ["x"]}
    result = match(rankings, previous={"a": "y", "b": "y", "c": "z"})
    assert (result.assignments["a"], result.assignments["b"], result.assignments["c"]) == ("y", "y", "z")
    assert result.moved == [] and result.quality["previous"] == 3
    assert result.explanations["a"]["reason"] == "previous"


def test_moves_are_used_only_when_they_help_and_never_above_the_cap():
    rankings = {"a": ["x", "y"], "b": ["x", "y"], "c": ["y"], "d": ["y"], "new": ["x"]}
    previous = {"a": "y", "b": "y", "c": "y", "d": "y"}
    one = match(rankings, previous=previous, max_moves=1)
    two = match(rankings, previous=previous, max_moves=2)
    assert len(one.moved) == 1 and one.circles["x"] == sorted(["new", one.moved[0]])
    assert len(two.moved) == 2 and len(two.circles["x"]) == 3  # both a and b back on their first choice
    assert ranked_score(two) >= ranked_score(one)


def test_a_move_goes_only_to_a_dataset_on_the_students_list():
    rankings = {"a": ["y"], "b": ["q"], "c": ["q"]}
    result = match(rankings, previous={"a": "x", "b": "q"}, max_moves=5)
    assert result.assignments["a"] == "y" or result.assignments["a"] == "x"
    assert result.quality["violations"] == 0


def test_a_previous_student_whose_circle_stays_open_is_counted_there():
    # y is open with a, b and the newcomer; a may not silently vanish from the counts (max 3).
    rankings = {"a": ["y", "z"], "b": ["y"], "n1": ["y"], "n2": ["z"]}
    result = match(rankings, max_size=3, previous={"a": "y", "b": "y"}, max_moves=1)
    assert all(len(m) <= 3 for m in result.circles.values()) and result.quality["violations"] == 0


def test_moves_above_the_exact_limit_are_not_considered_and_say_so():
    result = match({"a": ["x", "y"], "b": ["x"]}, previous={"a": "y"}, max_moves=1, exact_limit=1)
    assert result.assignments["a"] == "y" and result.moved == []
    assert any("Moves are only considered" in w for w in result.quality["warnings"])


# --- solo by choice ----------------------------------------------------------------------------


def test_a_solo_student_stays_on_their_first_choice_alone_by_choice():
    result = match({"s": ["rare", "x"], "a": ["x"], "b": ["x"]}, solo=["s"])
    assert result.assignments["s"] == "rare"
    assert result.alone == [] and result.quality["alone_by_choice"] == 1
    assert result.quality["buddy_rate"] == 1.0  # the solo student is outside the rate
    assert "s" not in result.explanations


def test_others_may_join_a_solo_student():
    result = match({"s": ["rare"], "a": ["rare", "x"]}, solo=["s"])
    assert result.circles["rare"] == ["a", "s"] and result.quality["buddied"] == 2
    assert result.quality["alone_by_choice"] == 0


def test_solo_without_a_list_is_ignored_with_a_warning_and_a_lock_wins():
    result = match({"s": [], "t": ["x", "y"], "a": ["y"]}, solo=["s", "t"], locks={"t": "y"})
    assert result.assignments["t"] == "y" and result.quality["solo"] == 0
    assert any("s chose to work alone" in w for w in result.quality["warnings"])


# --- fairness: the Pareto check -------------------------------------------------------------------


def test_an_optimal_matching_is_reported_pareto_optimal_with_its_rank_profile():
    result = match({"a": ["x", "y"], "b": ["y", "x"], "c": ["x"], "d": ["y"]})
    assert result.quality["pareto_optimal"] is True and result.quality["pareto_improvable"] == 0
    assert result.quality["rank_profile"]["1"] == 4
    assert "first puts as many students as possible" in engine.FAIRNESS_STATEMENT


def _result_for(rankings, assignments, **options):
    problem = engine._Problem.build(rankings, min_size=options.get("min_size", 2),
                                    max_size=options.get("max_size"), locks=None, objective="rank")
    solved = engine._Solved(buddied_at={}, method="exact", components=0, proven=True)
    return problem, engine._result(problem, assignments, {}, solved, started=0.0)


def test_the_pareto_check_finds_a_swap_that_helps_two_students():
    problem, result = _result_for({"a": ["x", "y"], "b": ["y", "x"]}, {"a": "y", "b": "x"}, min_size=1, max_size=1)
    assert engine._pareto(problem, result, time_limit=5) == {"pareto_optimal": False, "pareto_improvable": 2}


def test_the_pareto_check_does_not_count_moves_that_break_a_circle():
    # c and d are buddied on y; c prefers x but moving there would leave d alone (min 2).
    problem, result = _result_for({"c": ["x", "y"], "d": ["y"]}, {"c": "y", "d": "y"})
    assert engine._pareto(problem, result, time_limit=5)["pareto_optimal"] is True


def test_the_pareto_check_lets_an_alone_student_move_up_into_room():
    # e sits alone on their 2nd choice while their 1st has room: an improvement hurting nobody.
    problem, result = _result_for({"e": ["x", "z"], "a": ["x"], "b": ["x"]}, {"e": "z", "a": "x", "b": "x"})
    assert engine._pareto(problem, result, time_limit=5) == {"pareto_optimal": False, "pareto_improvable": 1}


# --- explanations -----------------------------------------------------------------------------------


def test_a_full_first_choice_is_the_reason_and_holds_exactly_the_maximum():
    rankings = {"a": ["x", "y"], "b": ["x", "y"], "c": ["x", "y"], "d": ["y"]}
    result = match(rankings, max_size=2)
    off = [s for s in "abc" if result.assignments[s] == "y"]
    assert len(off) == 1
    why = result.explanations[off[0]]
    assert why["reason"] == "first_choice_full" and why["rank"] == 2
    assert len(result.circles["x"]) == 2


def test_a_counterfactual_counts_the_classmates_who_would_lose_their_circle():
    # a could have x only by leaving b alone on y (b lists nothing else, nobody else joins x).
    result = match({"a": ["x", "y"], "b": ["y"], "c": ["x", "z"], "d": ["z"], "e": ["z"]})
    assert result.assignments["a"] == "y"
    assert result.explanations["a"]["reason"] == "others_alone"
    assert "at least 1 classmate without a circle" in result.explanations["a"]["detail"]


def test_a_counterfactual_counts_the_ranks_the_others_would_lose():
    # min 1, max 1: a and b both want x; b gets it at a cost of 1 rank for a, else b would lose 2.
    result = match({"a": ["x", "y"], "b": ["x", "z", "w"]}, min_size=1, max_size=1)
    assert result.assignments == {"a": "y", "b": "x"} or result.assignments["b"] != "x"
    student = "a" if result.assignments["a"] == "y" else "b"
    why = result.explanations[student]
    assert why["reason"] in {"first_choice_full", "others_lower"} and "at least" in why["detail"]


def test_locked_students_are_explained_as_locked():
    result = match({"a": ["x", "y"], "b": ["x"]}, locks={"a": "y"})
    assert result.explanations["a"] == {"rank": 2, "reason": "locked", "detail": "Your instructor placed you on y.",
                                        "template": "Your instructor placed you on {0}.", "datasets": ["y"]}


def test_explanations_can_be_turned_off_and_every_code_is_documented():
    assert match({"a": ["x", "y"], "b": ["y"]}, explain=False).explanations == {}
    assert all(code == code.lower() and " " not in code for code in REASONS)


def test_out_of_explanation_time_the_reason_is_not_computed():
    rankings = {"a": ["x", "y"], "b": ["y"], "c": ["x", "z"], "d": ["z"], "e": ["z"]}
    result = match(rankings, explain_time_limit=1e-9)
    assert result.explanations["a"]["reason"] == "not_computed"


# --- long lists, the JSON, removed parameters -------------------------------------------------------


def test_lists_beyond_the_cap_are_cut_with_a_warning():
    rankings = {"a": [f"d{i}" for i in range(200)], "b": [f"d{i}" for i in range(199, -1, -1)]}
    result = match(rankings, max_choices=10)
    assert any("only their first 10 choices are used" in w for w in result.quality["warnings"])
    # a's first 10 are d0..d9, b's d199..d190: the cut lists share nothing, the whole lists everything.
    assert result.quality["buddied"] == 0 and result.quality["optimal"] is False


def test_a_cut_that_cannot_matter_keeps_the_proof():
    rankings = {"a": [f"d{i}" for i in range(200)], "b": [f"d{i}" for i in range(200)]}
    result = match(rankings, max_choices=10)
    assert result.quality["optimal"] is True and result.quality["cost"] == 2


def test_the_result_is_plain_json_with_the_new_keys():
    result = match({"a": ["x"], "b": ["x"], "c": ["y"]}, unranked=["u"], previous={"c": "y"})
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert {"warnings", "unranked", "moved", "explanations"} <= set(data)


@pytest.mark.parametrize("removed", ["capacities", "place_related"])
def test_the_never_passed_parameters_are_gone(removed):
    with pytest.raises(TypeError):
        match({"a": ["x"]}, **{removed: None})


def test_priced_explanations_agree_with_the_exact_counterfactuals(monkeypatch):
    # 160 students: above _PRICE_ABOVE, one LP prices every counterfactual; the exact solves must back it.
    import numpy as np

    rng = np.random.default_rng(3)
    rankings = {f"s{i:03d}": list(rng.choice(60, size=4, replace=False).astype(str)) for i in range(160)}
    priced = match(rankings, min_size=3, max_size=6, explain_time_limit=60)
    monkeypatch.setattr(engine, "_PRICE_ABOVE", 10**9)
    exact = match(rankings, min_size=3, max_size=6, explain_time_limit=60)
    assert priced.assignments == exact.assignments
    count = lambda why: int(why["detail"].split("at least ")[1].split()[0])  # noqa: E731
    for student, why in priced.explanations.items():
        truth = exact.explanations[student]
        if why["reason"] == "others_worse":
            assert truth["reason"] == "others_alone" or (
                truth["reason"] == "others_lower" and count(truth) >= count(why))
        elif why["reason"] == "others_alone":
            assert truth["reason"] == "others_alone" and count(truth) >= count(why)
        else:
            assert why["reason"] == truth["reason"]


def test_the_lp_prices_prove_a_cut_harmless_when_the_simple_bound_cannot():
    # Everyone pays rank 2 within the cut (cost 8 > cost(3) + 3), and deeper choices only cost more.
    deep = [f"deep{k}" for k in range(5)]
    rankings = {f"s{i}": [f"own{i}", "shared", *deep] for i in range(4)}
    result = match(rankings, max_choices=2)
    assert result.quality["cost"] == 8 and result.quality["optimal"] is True
    assert any("cannot improve this result (proven)" in w for w in result.quality["warnings"])
    assert match(rankings).quality["cost"] == 8  # the whole lists agree
