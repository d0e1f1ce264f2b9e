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
    del data["quality"]["seconds"], data["quality"]["explain_seconds"]
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


# --- issue 13: unranked students, previous matchings, explanations ---------------------------------

from matching.engine import REASONS  # noqa: E402


@st.composite
def late_classes(draw, *, students=6, datasets=DATASETS[:4]):
    """A small class, a previous matching of some of them, a move budget and unranked students."""
    rankings, options = draw(classes(students=students, datasets=datasets, longest=3))
    names = sorted(rankings)
    previous = draw(st.dictionaries(st.sampled_from(names + ["gone"]) if names else st.just("gone"),
                                    st.sampled_from(datasets), max_size=3))
    options["locks"] = {s: d for s, d in options["locks"].items() if s != "late"}
    return rankings, options, previous, draw(st.integers(0, 2)), draw(st.integers(0, 2))


def brute_force_general(rankings, *, min_size, max_size, locks, objective, previous, max_moves, helpers):
    """The engine's lexicographic optimum (buddied, -cost) with previous students and helpers, by enumeration."""
    def cost(rank):
        return rank * rank if objective == "squared" else rank

    fixed = dict(locks)
    anchored = {}
    for s, d in previous.items():
        if s not in fixed:
            (anchored if max_moves else fixed)[s] = d
    lists = {s: list(dict.fromkeys(lst)) for s, lst in rankings.items()}
    free = sorted(s for s in lists if s not in fixed and s not in anchored)
    movers = sorted(anchored)
    universe = sorted({d for lst in lists.values() for d in lst} | set(fixed.values()) | set(anchored.values()))
    cap = {d: max(max_size or 10_000, sum(1 for x in fixed.values() if x == d)
                  + sum(1 for x in anchored.values() if x == d)) for d in universe}

    def helper_splits(left, at):
        if at == len(universe):
            yield {}
            return
        for k in range(left + 1):
            for rest in helper_splits(left - k, at + 1):
                yield {universe[at]: k, **rest} if k else rest

    best = None
    free_options = [[None] + lists[s] for s in free]
    mover_options = [["stay"] + [d for d in lists.get(s, []) if d != anchored[s]] for s in movers]
    for f in itertools.product(*free_options):
        for g in itertools.product(*mover_options):
            if sum(1 for x in g if x != "stay") > max_moves:
                continue
            for h in helper_splits(helpers, 0):
                joiners, stayers = {}, {}
                for d in list(f) + [x for x in g if x != "stay"]:
                    if d is not None:
                        joiners[d] = joiners.get(d, 0) + 1
                for s, x in zip(movers, g):
                    if x == "stay":
                        stayers[anchored[s]] = stayers.get(anchored[s], 0) + 1
                ok, buddied, total_cost = True, 0, 0
                for d in universe:
                    k = sum(1 for x in fixed.values() if x == d)
                    total = joiners.get(d, 0) + h.get(d, 0) + k + stayers.get(d, 0)
                    if joiners.get(d, 0) + h.get(d, 0) and not min_size <= total <= cap[d]:
                        ok = False
                        break
                    if total >= min_size and total <= cap[d]:
                        buddied += total - h.get(d, 0)
                        for s, x in zip(movers, g):
                            if x == "stay" and anchored[s] == d:
                                lst = lists.get(s, [])
                                total_cost += cost(lst.index(d) + 1 if d in lst else len(lst) + 1)
                if not ok:
                    continue
                for s, d in list(zip(free, f)) + [(s, x) for s, x in zip(movers, g) if x != "stay"]:
                    if d is not None:
                        total_cost += cost(lists[s].index(d) + 1)
                if best is None or (buddied, -total_cost) > best:
                    best = (buddied, -total_cost)
    return best


@settings(max_examples=60, deadline=None, database=None)
@given(late_classes())
def test_previous_students_and_helpers_reach_the_brute_force_optimum(case):
    rankings, options, previous, max_moves, helpers = case
    unranked = [f"u{i}" for i in range(helpers)]
    result = match(rankings, **options, previous=previous, max_moves=max_moves, unranked=unranked,
                   place_unranked=True, explain=False)
    quality = result.quality
    assert quality["violations"] == 0, quality["violation_details"]
    expected = brute_force_general(rankings, **options, previous=previous, max_moves=max_moves, helpers=helpers)
    assert (quality["buddied"], -quality["cost"]) == expected
    assert len(result.moved) <= max_moves


@settings(max_examples=60, deadline=None, database=None)
@given(late_classes(students=10, datasets=DATASETS))
def test_placing_unranked_students_never_worsens_the_ranked_ones(case):
    rankings, options, _, _, helpers = case
    without = match(rankings, **options, explain=False, fairness=False).quality
    unranked = [f"u{i}" for i in range(helpers + 1)]
    placed = match(rankings, **options, unranked=unranked, place_unranked=True, explain=False, fairness=False)
    quality = placed.quality
    assert (quality["buddied"], -quality["cost"]) >= (without["buddied"], -without["cost"])
    assert quality["violations"] == 0
    for members in placed.circles.values():
        if options["max_size"] is not None and any(m.startswith("u") for m in members):
            assert len(members) <= options["max_size"]


@settings(max_examples=60, deadline=None, database=None)
@given(late_classes(students=10, datasets=DATASETS))
def test_with_no_moves_no_previous_student_moves(case):
    rankings, options, previous, _, _ = case
    result = match(rankings, **options, previous=previous, max_moves=0, explain=False, fairness=False)
    for student, dataset in previous.items():
        if student not in options["locks"]:
            assert result.assignments[student] == dataset
    assert result.moved == [] and result.quality["violations"] == 0


def best_with_student_higher(rankings, *, min_size, max_size, locks, objective, student, rank):
    """Every (buddied, others' cost) of assignments where `student` is buddied on a dataset ranked above `rank`."""
    def cost(r):
        return r * r if objective == "squared" else r

    free = sorted(s for s in rankings if s not in locks)
    locked = {}
    for d in locks.values():
        locked[d] = locked.get(d, 0) + 1
    lists = {s: list(dict.fromkeys(rankings[s])) for s in free}
    options = [[None] + lists[s] if s != student else lists[s][: rank - 1] for s in free]
    found = []
    for choice in itertools.product(*options):
        count = {}
        for d in choice:
            if d is not None:
                count[d] = count.get(d, 0) + 1
        capacity = {d: max(max_size or 10_000, locked.get(d, 0)) for d in count}
        if any(not min_size <= n + locked.get(d, 0) <= capacity[d] for d, n in count.items()):
            continue
        buddied = sum(count.values()) + sum(n for d, n in locked.items() if n + count.get(d, 0) >= min_size)
        others = sum(cost(lists[s].index(d) + 1) for s, d in zip(free, choice) if d is not None and s != student)
        found.append((buddied, others))
    return found


@settings(max_examples=80, deadline=None, database=None)
@given(classes(students=6, datasets=DATASETS[:4], longest=3))
def test_every_explanation_claim_holds_in_the_result(case):
    rankings, options = case
    result = match(rankings, **options)
    m, maximum, locks = options["min_size"], options["max_size"], options["locks"]
    size = {d: len(members) for d, members in result.circles.items()}
    lists = {s: list(dict.fromkeys(lst)) for s, lst in rankings.items()}
    off_first = {s for s, d in result.assignments.items() if not lists.get(s) or d != lists[s][0]}
    assert set(result.explanations) == off_first
    buddied_now = result.quality["buddied"]
    for student, why in result.explanations.items():
        assert set(why) == {"rank", "reason", "detail", "template", "datasets"} and why["reason"] in REASONS
        assert why["template"].format(*why["datasets"]) == why["detail"]  # the app's sentence, with ids
        reason, dataset, lst = why["reason"], result.assignments[student], lists.get(student, [])
        assert why["rank"] == (lst.index(dataset) + 1 if dataset in lst else None)
        assert reason not in {"not_computed", "unproven"}  # small classes: always worked out exactly
        if "full" in reason:
            assert size.get(lst[0], 0) == maximum
        if "locked" in reason or "previous" in reason:
            assert locks[student] == dataset
        if reason == "first_choice_too_few":
            listed = sum(1 for s, other in lists.items() if lst[0] in other)
            listed += sum(1 for s, d in locks.items() if d == lst[0] and lst[0] not in lists.get(s, []))
            assert listed < m
        if reason == "empty_list":
            assert not lst and dataset is None
        if reason == "no_room":
            assert dataset is None and all(size.get(d, 0) >= max(maximum or 0, 1) for d in lst)
        if reason == "higher_choices_taken":
            fixed = {d: sum(1 for x in locks.values() if x == d) for d in lst}
            assert all(size.get(d, 0) >= max(maximum, fixed[d]) for d in lst[: why["rank"] - 1])
        if reason in {"no_better_circle", "others_alone", "others_lower", "others_worse"}:
            found = best_with_student_higher(rankings, **options, student=student, rank=why["rank"] or len(lst) + 1)
            count = int(why["detail"].split("at least ")[1].split()[0]) if "at least" in why["detail"] else 0
            if reason == "no_better_circle":
                assert found == []
            if reason == "others_alone":  # (vacuously true when no such matching exists)
                assert max((b for b, _ in found), default=0) <= buddied_now - count
            if reason in {"others_lower", "others_worse"}:
                others_now = result.quality["cost"] - (
                    0 if student in locks else (why["rank"] ** 2 if options["objective"] == "squared" else why["rank"]))
                same = [o for b, o in found if b == buddied_now]
                assert all(o >= others_now + count for o in same)
