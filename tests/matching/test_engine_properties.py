"""Properties of the matching engine on random classes (hypothesis), and the exact engine against brute force."""
import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import match

DATASETS = ["iris", "wine", "digits", "penguins", "cancer", "mushrooms"]


@st.composite
def classes(draw, *, students=12, datasets=DATASETS, longest=4):
    names = [f"s{i:02d}" for i in range(draw(st.integers(0, students)))]
    rankings = {
        name: draw(st.lists(st.sampled_from(datasets), max_size=longest)) for name in names
    }
    # Locks on listed datasets, on others, and for students who never ranked.
    lockable = names + ["late"]
    locks = draw(st.dictionaries(st.sampled_from(lockable), st.sampled_from(datasets + ["new"]), max_size=3))
    options = {
        "min_size": draw(st.integers(1, 4)),
        "max_size": draw(st.one_of(st.none(), st.integers(1, 6))),
        "locks": locks,
        "objective": draw(st.sampled_from(["rank", "squared"])),
    }
    return rankings, options


def _check(result, rankings, options):
    """The rules every result obeys, whatever the input."""
    locks, minimum, maximum = options["locks"], options["min_size"], options["max_size"]
    students = set(rankings) | set(locks)
    quality = result.quality
    assert set(result.assignments) == students  # every student exactly once
    assert sorted(s for members in result.circles.values() for s in members) == sorted(
        s for s, d in result.assignments.items() if d is not None
    )
    assert quality["violations"] == 0, quality["violation_details"]
    for student, dataset in locks.items():
        assert result.assignments[student] == dataset
    alone = set(result.alone)
    for dataset, members in result.circles.items():
        locked_here = sum(1 for d in locks.values() if d == dataset)
        if maximum is not None:
            assert len(members) <= max(maximum, locked_here)
        if len(members) < minimum:  # only students reported alone sit in a circle under the minimum
            assert set(members) <= alone
    for student, dataset in result.assignments.items():
        if dataset is None:
            assert student in quality["unassigned"]
        elif dataset not in rankings.get(student, []):
            assert student in locks or result.related.get(student) == dataset
    assert quality["buddied"] + quality["alone"] + len(quality["unassigned"]) == len(students)
    assert quality["buddied"] <= quality["bound"]["buddied"]
    if quality["optimal"]:
        assert quality["buddy_rate"] == quality["achievable_buddy_rate"] and quality["gap"] == 0.0
    json.dumps(result.to_dict(), allow_nan=False)


def _without_time(result) -> dict:
    data = result.to_dict()
    del data["quality"]["seconds"]
    return data


@settings(max_examples=120, deadline=None, database=None)
@given(classes())
def test_every_result_follows_the_rules_and_repeats_exactly(case):
    rankings, options = case
    result = match(rankings, **options)
    _check(result, rankings, options)
    assert result.quality["optimal"] is True  # class sizes are always solved exactly
    assert _without_time(match(rankings, **options)) == _without_time(result)


@settings(max_examples=60, deadline=None, database=None)
@given(classes(students=16))
def test_the_heuristic_follows_the_same_rules(case):
    rankings, options = case
    result = match(rankings, **options, exact_limit=1)
    _check(result, rankings, options)
    assert _without_time(match(rankings, **options, exact_limit=1)) == _without_time(result)


@settings(max_examples=60, deadline=None, database=None)
@given(classes())
def test_related_circles_only_take_students_who_are_alone(case):
    rankings, options = case
    result = match(rankings, **options, similarity=lambda a, b: 1.0 if a == b else 0.5)
    _check(result, rankings, options)
    assert set(result.related) <= set(result.alone)


def brute_force(rankings, *, min_size, max_size, locks, objective):
    """The lexicographic optimum (buddied, -cost) by trying every assignment."""
    free = sorted(s for s in rankings if s not in locks)
    locked = {}
    for d in locks.values():
        locked[d] = locked.get(d, 0) + 1
    best = None
    options = [[None] + list(dict.fromkeys(rankings[s])) for s in free]
    for choice in itertools.product(*options):
        count = {}
        for d in choice:
            if d is not None:
                count[d] = count.get(d, 0) + 1
        capacity = {d: max(max_size or len(rankings) + len(locks), locked.get(d, 0)) for d in count}
        if any(not min_size <= n + locked.get(d, 0) <= capacity[d] for d, n in count.items()):
            continue
        buddied = sum(count.values()) + sum(n for d, n in locked.items() if n + count.get(d, 0) >= min_size)
        cost = 0
        for student, d in zip(free, choice):
            if d is not None:
                rank = list(dict.fromkeys(rankings[student])).index(d) + 1
                cost += rank * rank if objective == "squared" else rank
        if best is None or (buddied, -cost) > best:
            best = (buddied, -cost)
    return best


@settings(max_examples=150, deadline=None, database=None)
@given(classes(students=7, datasets=DATASETS[:4], longest=3))
def test_the_exact_engine_finds_the_brute_force_optimum(case):
    rankings, options = case
    quality = match(rankings, **options).quality
    assert (quality["buddied"], -quality["cost"]) == brute_force(rankings, **options)


@settings(max_examples=80, deadline=None, database=None)
@given(classes(students=7, datasets=DATASETS[:4], longest=3))
def test_the_heuristic_never_beats_the_optimum_and_its_bounds_hold(case):
    rankings, options = case
    quality = match(rankings, **options, exact_limit=1).quality
    best_buddied, best_cost = brute_force(rankings, **options)
    assert (quality["buddied"], -quality["cost"]) <= (best_buddied, best_cost)
    assert quality["bound"]["buddied"] >= best_buddied
    if quality["buddied"] == best_buddied:
        assert quality["bound"]["cost"] <= -best_cost
    if quality["optimal"]:
        assert (quality["buddied"], -quality["cost"]) == (best_buddied, best_cost)
