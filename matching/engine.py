"""The matcher: one dataset per student so that nobody works alone where the lists allow it.

Plain Python on NumPy/SciPy (no Django): the views, the `match` command and the
benchmark call `match()` with ranked lists and get a `MatchResult` back.

Formulation
-----------
Data: students s with a ranked list L_s (rank r(s, d) = 1 for the first choice),
cost c(s, d) = r(s, d) (objective "rank") or r(s, d)^2 ("squared", which spreads
the pain: two second choices beat a first and a third); minimum m; capacity u_d
(`max_size`, else unlimited; raised to k_d when more are fixed there); k_d
students fixed on d: locked by the instructor, solo by choice (on their first
choice), or kept from a previous matching when no moves are allowed.

Variables: x[s, d] in {0, 1} for d in L_s ("s is buddied on d"), y[d] in {0, 1}
("d is open": it holds at least m students).

    (1)  sum_d x[s, d] <= 1                                every student at most once
    (2)  m*y[d] <= k_d*y[d] + sum_s x[s, d] <= u_d*y[d]    an open dataset holds m..u_d
    (3)  x[s, d] <= y[d]                                   redundant for integers; it
                                                           makes the LP bound tight
    Stage 1: maximise B = sum x[s, d] + sum_d k_d*y[d]     (buddied students)
    Stage 2: minimise C = sum c(s, d)*x[s, d]              among solutions with B = B*

Both stages are one MILP: minimise C - W*B with W = sum_s max_d c(s, d) + 1. Any
solution with one more buddied student scores at least W - max C > 0 better, so
the minimiser maximises B first and only then minimises C (the lexicographic
order is exact, not approximate). All coefficients are integers and HiGHS runs
with a relative gap of 0, so "optimal" means proven optimal for both stages.
The LP relaxation is solved first: when its optimum is integral it is the
MILP's optimum, proven, without branching (most class instances). A MILP that
is not proven in 70 % of its time leaves the rest to the same MILP restricted
to the LP's support (`_support_incumbent`), which finds good solutions much
sooner; the better one is kept and judged against the full MILP's bound.

Only y is declared integer: once y is fixed, (1)-(2) describe a transportation
problem with integer bounds, whose vertices are integral, so the simplex returns
integral x. The result is checked; a fractional x is re-solved with x integer.

Extensions, all in the same MILP:

- Previous matching with moves (`previous`, `max_moves` N > 0): a previous
  student p has a "stay" edge to their previous dataset P (cost: its rank, or
  one past their list when it is not on it) and "move" edges to the other
  datasets of their list. (4) x[p, P] + sum moves of p >= y[P]: when P is open
  and p does not move, p is counted there. (5) sum of move edges <= N. Move and
  stay edges are integer (the budget row breaks the transportation structure).
  A previous student who is not buddied stays on P. With N = 0 previous
  students are simply fixed (k_d).
- Unranked students placed (`unranked`, `place_unranked`): U interchangeable
  helpers, h[d] in 0..U integer, join (2) on both sides: m*y <= k*y + sum x + h
  <= u*y, and (6) sum h <= U. They are not in B or C, so the ranked students'
  (B, C) is at least the optimum without them (h = 0 is feasible) and helpers go
  where they bring a circle up to the minimum. The others are then placed on
  used datasets with room (`_place_unranked`).

Students who are not buddied are "alone": they keep a dataset from their own list
(the highest one with room) or, with a `similarity`, join the open circle most
similar to their picks. They are reported, never dropped. Solo students (`solo`)
are fixed on their first choice; under the minimum they count as "alone by
choice", outside the buddy rate.

Scale
-----
The student-dataset graph is split into connected components after removing
datasets that can never open (fewer than m interested students counting fixed
ones and helpers, or a capacity below m). Components up to `exact_limit`
students are solved exactly, packed into batches (a block-diagonal MILP is the
same as separate ones, minus the per-call overhead); helpers and the move
budget join everything into one. A larger component gets `_heuristic`: the
exact min-cost flow of the model without the minimum, repaired, then improved
by re-solving neighbourhoods exactly. Its result is compared with two bounds,
the flow (for the buddied count) and a Lagrangian as strong as the LP of
(1)-(3) (for the cost), and reported as proven when it meets them. Above
`exact_limit` students in all, moves are not considered (previous students are
fixed) and helpers are placed greedily; a warning says so.

Lists longer than `max_choices` (default 100) are cut there with a warning. The
cut is proven harmless when no solution can buddy more students (`_most_buddied`)
and either the cost found is at most cost(K + 1) + (buddied free students - 1)
(any solution using a deeper choice costs at least that) or the Lagrangian with
the cut LP's student prices, evaluated over the whole lists, reaches the value
found (`_cut_proof`). Otherwise the result is reported as optimal for the cut
lists only.

After solving
-------------
- Fairness (`fairness=True`): one more MILP asks whether any student could get
  a better-ranked dataset with nobody getting a worse one, nobody buddied
  losing their circle and no circle falling below the minimum; `quality` reports
  `pareto_optimal` and `pareto_improvable` beside the rank profile.
- Explanations (`explain=True`): every student not on their first choice gets
  `{"rank", "reason", "detail", "template", "datasets"}`: `detail` is the
  sentence, naming datasets by id; `template` is the same sentence with `{0}`,
  `{1}`, ... where the datasets of `datasets` (ids) stand, so an app can put
  titles there without reading the sentence. Reasons (`REASONS`) come from the
  result and from a counterfactual solve of the student's component with the
  student forced onto a higher choice: how many classmates would lose their
  circle, or how many ranks the others would lose in total.

Determinism: students and datasets are sorted before any model is built, HiGHS
is deterministic for an identical model, every greedy step breaks ties by rank
and then by name, and every loop has a fixed number of rounds. Only a run cut
short by `time_limit` can differ.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components, dijkstra, maximum_flow

from datasets.profiling.jsonable import plain_json

OBJECTIVES = ("rank", "squared")
# Components up to this many students go to HiGHS whole. Measured here: a
# 20,000-student component solves to proven optimality in about 4 s; a
# 40,000-student one in 13 s, so beyond this the heuristic is the better bet.
EXACT_LIMIT = 20_000
# Previous students for whom moves are considered (one MILP over all of them).
MOVES_LIMIT = 2_000
# Longest list used: deeper choices are cut (with a warning; see the module docstring).
MAX_CHOICES = 100
# Students re-optimised together in one step of the heuristic: a sub-MILP of
# this size solves in well under a second.
_NEIGHBOURHOOD = 5_000
_MAX_ROUNDS = 50
_LAGRANGIAN_ITERATIONS = 300
# A MILP not proven within this share of its time gives the rest to a solve on
# the LP's support (`_support_incumbent`), which opens the LP's datasets from
# _FIX_OPEN up.
_FULL_SHARE = 0.7
_FIX_OPEN = 0.9
# Components above this many students get their explanations priced by one LP first.
_PRICE_ABOVE = 100

# What the matcher optimises, in the order it does (for the matching page).
FAIRNESS_STATEMENT = (
    "The matcher first puts as many students as possible in a circle of at least the minimum size on a dataset "
    "from their own list. Among those matchings it then picks one where the ranks students get add up to the "
    "least, and it checks that nobody could get a higher choice without someone else getting a lower one or a "
    "circle falling below the minimum."
)

# Reason codes of `explanations` (students not on their first choice), and the claim each makes.
REASONS = {
    "locked": "the instructor locked the student on this dataset",
    "previous": "the student keeps their dataset from the previous (published) matching",
    "first_choice_full": "the first choice holds exactly the maximum number of students",
    "first_choice_too_few": "fewer than the minimum number of students ranked or are fixed on the first choice",
    "no_better_circle": "no matching puts the student in a circle on a higher choice",
    "others_worse": "every matching with the student on a higher choice leaves a classmate alone or gives the "
                    "others at least N more ranks in total (a bound from one LP for the whole class; N is in "
                    "the detail)",
    "others_alone": "every matching with the student on a higher choice leaves at least N more classmates "
                    "alone (N is in the detail)",
    "others_lower": "every matching with the student on a higher choice and as many classmates buddied gives the "
                    "others at least N more ranks in total (squared ranks with the squared objective; N is in the "
                    "detail)",
    "related_circle": "nobody could share the student's choices; they joined the most similar circle",
    "no_room": "every dataset on the student's list is at its maximum",
    "higher_choices_taken": "the student is alone and every dataset they rank higher is at its capacity",
    "unproven": "the matching is not proven optimal; a higher choice for the student may be possible",
    "empty_list": "the student ranked nothing",
    "unranked": "the student never ranked; placed where a circle needed them or where there was room",
    "unranked_no_room": "the student never ranked and no used dataset had room (or the policy leaves them out)",
    "not_computed": "the explanation time ran out before this student's counterfactual",
}


@dataclass(frozen=True)
class MatchResult:
    """What a run produced. `quality` is described in `match`."""

    assignments: dict[str, str | None]
    circles: dict[str, list[str]]
    alone: list[str]
    related: dict[str, str]
    quality: dict
    unranked: list[str] = field(default_factory=list)  # never ranked and not placed
    moved: list[str] = field(default_factory=list)  # previous students whose dataset changed
    explanations: dict[str, dict] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain dicts, lists, str, int, float, bool and None (what the app stores)."""
        return plain_json({
            "assignments": dict(self.assignments),
            "circles": {d: list(members) for d, members in self.circles.items()},
            "alone": list(self.alone),
            "related": dict(self.related),
            "quality": self.quality,
            "warnings": list(self.quality.get("warnings", [])),
            "unranked": list(self.unranked),
            "moved": list(self.moved),
            "explanations": self.explanations,
        })


def match(
    rankings: Mapping[str, Sequence[str]],
    *,
    min_size: int = 2,
    max_size: int | None = None,
    locks: Mapping[str, str] | None = None,
    objective: str = "rank",
    similarity: Callable[[str, str], float] | None = None,
    time_limit: float = 30.0,
    exact_limit: int = EXACT_LIMIT,
    unranked: Iterable[str] = (),
    place_unranked: bool = False,
    previous: Mapping[str, str] | None = None,
    max_moves: int = 0,
    solo: Iterable[str] = (),
    explain: bool = True,
    fairness: bool = True,
    explain_time_limit: float = 5.0,
    max_choices: int = MAX_CHOICES,
) -> MatchResult:
    """Assign every student one dataset (see the module docstring for the model).

    Arguments: `rankings` maps a student to datasets in rank order (a repeated
    dataset keeps its best rank; keys and names are used as strings). `locks`
    fixes students on datasets (even one not on their list, or a student absent
    from `rankings`); a lock counts toward sizes and is never broken. With
    `similarity(a, b) -> [0, 1]`, a student who cannot be buddied joins the open
    circle with room that is most similar (score > 0) to a dataset on their list.
    `unranked`: students who never ranked (ignored if they are in `rankings`,
    `locks` or `previous`); with `place_unranked` they are placed where they
    help (module docstring), else listed in `result.unranked`. `previous`:
    student -> dataset of a previous matching; up to `max_moves` of them may
    move, each to a dataset on their own list (locks win over it). `solo`:
    students who will work on their first choice even alone (a lock on it).
    `fairness` runs the Pareto check, `explain` the explanations (reasons in
    `REASONS`) within `explain_time_limit` seconds; lists are cut at
    `max_choices` (module docstring).

    Steps:
      1. Normalise and validate the input (`_Problem`).
      2. Prune datasets that can never open and split the rest into components.
      3. Solve components exactly in batches (HiGHS), large ones heuristically.
      4. Place students who are not buddied (`_place_alone`), then the unranked.
      5. Audit the result and compute the quality numbers.
      6. The fairness check and the explanations (module docstring).

    `quality` keys: students (with a list, locked or previous; the unranked
    apart); buddied and buddy_rate (on their own list or fixed, in a circle of
    at least min_size; the rate leaves out students alone by choice);
    achievable_buddy_rate (the proven stage-1 optimum, or an upper bound where
    `optimal` is false); mean_rank (students on their own list, alone or not);
    rank_profile ({"1": n, ...} plus "off_list" and "unassigned"); cost
    (stage-2 objective: sum of ranks or squared ranks of buddied students who
    are not fixed); bound ({"buddied", "cost"}: the proven values or relaxation
    bounds); unassigned (sorted list of students with no dataset: an empty list
    and nothing fixed, or every dataset on their list at its maximum); alone,
    related, locked, solo, alone_by_choice (counts); unranked and
    unranked_placed; previous, moved and max_moves; pareto_optimal (None when
    not checked) and pareto_improvable; violations (0 unless something is
    wrong) and violation_details; optimal; gap (0 when proven, else the larger
    of the buddied and cost gaps to the bound); method ("exact", "heuristic" or
    "mixed"); components; objective; min_size; max_size; warnings; seconds
    (solving and placing) and explain_seconds. Rates are None for an empty class.
    """
    started = time.perf_counter()
    if time_limit <= 0:
        raise ValueError("time_limit must be positive")
    if exact_limit < 1:
        raise ValueError("exact_limit must be at least 1")
    if not isinstance(max_moves, int) or max_moves < 0:
        raise ValueError("max_moves must be a whole number of at least 0")
    if not isinstance(max_choices, int) or max_choices < 1:
        raise ValueError("max_choices must be a whole number of at least 1")
    problem = _Problem.build(
        rankings, min_size=min_size, max_size=max_size, locks=locks, objective=objective, unranked=unranked,
        place_unranked=place_unranked, previous=previous, max_moves=max_moves, solo=solo,
        exact_limit=exact_limit, max_choices=max_choices,
    )
    solved = _solve(problem, deadline=started + time_limit, exact_limit=exact_limit)
    assignments, related = _place_alone(problem, solved, similarity=similarity)
    result = _result(problem, assignments, related, solved, started=started)
    cut_warning = f"The result is proven optimal for everyone's first {problem.cut} choices only."
    if cut_warning in result.quality["warnings"] and _cut_proof(problem, solved, result.quality,
                                                                time_limit=max(1.0, time_limit / 3)):
        result.quality["warnings"].remove(cut_warning)
        result.quality["warnings"].append(
            f"Choices beyond the first {problem.cut} cannot improve this result (proven): it is optimal for the "
            "whole lists."
        )
        result.quality.update(optimal=True, gap=0.0, seconds=time.perf_counter() - started)
    explained = time.perf_counter()
    if fairness:
        result.quality.update(_pareto(problem, result, time_limit=max(1.0, time_limit / 3)))
    if explain:
        result.explanations.update(
            _explain(problem, result, solved, deadline=time.perf_counter() + explain_time_limit)
        )
    result.quality["explain_seconds"] = time.perf_counter() - explained
    return result


def first_choice_result(rankings: Mapping[str, Sequence[str]], *, min_size: int = 2) -> MatchResult:
    """The comparison the instructor sees: everyone simply gets their first choice (no maximum)."""
    started = time.perf_counter()
    problem = _Problem.build(rankings, min_size=min_size, max_size=None, locks=None, objective="rank")
    assignments = {s: (lst[0] if lst else None) for s, lst in zip(problem.students, problem.lists)}
    solved = _Solved(buddied_at={}, method="first_choice", components=0, proven=False)
    return _result(problem, assignments, {}, solved, started=started)


# --- input -----------------------------------------------------------------


@dataclass
class _Problem:
    students: list[str]  # sorted: ranked, fixed and previous students (not the unranked)
    lists: list[tuple[str, ...]]  # per student, deduplicated, rank order (cut at max_choices)
    datasets: list[str]  # sorted: every listed, fixed or previous dataset
    dataset_index: dict[str, int]
    locks: dict[str, str]  # every fixed student: instructor locks, solo, previous without moves
    cap: np.ndarray  # per dataset, raised to the number fixed or previous there
    locked_count: np.ndarray  # per dataset
    min_size: int
    max_size: int | None
    objective: str
    warnings: list[str]
    instructor_locks: dict[str, str] = field(default_factory=dict)
    solo: set[str] = field(default_factory=set)
    previous: dict[str, str] = field(default_factory=dict)  # every previous student kept in the problem
    anchored: dict[str, str] = field(default_factory=dict)  # previous students who may move
    max_moves: int = 0
    unranked: list[str] = field(default_factory=list)  # sorted
    helpers: int = 0  # unranked students the MILP may use
    place_unranked: bool = False
    cut: int | None = None  # max_choices when some list was cut
    deep: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the choices cut off, per student

    @classmethod
    def build(
        cls, rankings, *, min_size, max_size, locks, objective, unranked=(), place_unranked=False, previous=None,
        max_moves=0, solo=(), exact_limit=EXACT_LIMIT, max_choices=None,
    ) -> "_Problem":
        if not isinstance(min_size, int) or min_size < 1:
            raise ValueError("min_size must be a whole number of at least 1")
        if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
            raise ValueError("max_size must be a whole number of at least 1")
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
        warnings = []
        instructor = {str(s): str(d) for s, d in (locks or {}).items()}
        by_student = {str(s): tuple(dict.fromkeys(str(d) for d in lst)) for s, lst in rankings.items()}
        cut, deep = None, {}
        if max_choices is not None:
            long = sorted(s for s, lst in by_student.items() if len(lst) > max_choices)
            if long:
                cut = max_choices
                for s in long:
                    deep[s] = by_student[s][max_choices:]
                    by_student[s] = by_student[s][:max_choices]
                shown = ", ".join(long[:3]) + (f" and {len(long) - 3} more" if len(long) > 3 else "")
                warnings.append(
                    f"{len(long)} students ranked more than {max_choices} datasets ({shown}): "
                    f"only their first {max_choices} choices are used."
                )
        fixed = dict(instructor)
        solo_set = set()
        for s in sorted({str(s) for s in solo}):
            if s in fixed:
                continue
            if by_student.get(s):
                fixed[s] = by_student[s][0]
                solo_set.add(s)
            else:
                warnings.append(f"{s} chose to work alone but ranked nothing: ignored.")
        kept_previous = {str(s): str(d) for s, d in (previous or {}).items() if str(s) not in fixed}
        total = len(set(by_student) | set(fixed) | set(kept_previous))
        anchored = {}
        if max_moves > 0 and kept_previous and (total > exact_limit or len(kept_previous) > MOVES_LIMIT):
            warnings.append(
                f"Moves are only considered up to {MOVES_LIMIT:,} previous students ({exact_limit:,} in all): they "
                "keep their dataset."
            )
            max_moves = 0
        if max_moves > 0:
            anchored = kept_previous
        else:
            fixed.update(kept_previous)
        students = sorted(set(by_student) | set(fixed) | set(anchored))
        known = set(students)
        unranked_list = sorted({str(s) for s in unranked} - known)
        helpers = len(unranked_list) if place_unranked else 0
        if helpers and total > exact_limit:
            warnings.append(
                f"Above {exact_limit:,} students, students who never ranked are placed greedily after the matching."
            )
            helpers = 0
        lists = [by_student.get(s, ()) for s in students]
        datasets = sorted({d for lst in lists for d in lst} | set(fixed.values()) | set(anchored.values()))
        index = {d: i for i, d in enumerate(datasets)}
        unlimited = max(len(students) + len(unranked_list), 1)
        cap = np.full(len(datasets), max_size if max_size is not None else unlimited, dtype=np.int64)
        locked_count = np.zeros(len(datasets), dtype=np.int64)
        for d in fixed.values():
            locked_count[index[d]] += 1
        anchored_count = np.zeros(len(datasets), dtype=np.int64)
        for d in anchored.values():
            anchored_count[index[d]] += 1
        if max_size is not None and max_size < min_size:
            warnings.append(f"The maximum ({max_size}) is below the minimum ({min_size}): no circle can open.")
        for i in np.flatnonzero(locked_count + anchored_count > cap):
            warnings.append(
                f"{locked_count[i] + anchored_count[i]} students are fixed on {datasets[i]}, "
                f"above its maximum of {cap[i]}."
            )
        return cls(
            students=students,
            lists=lists,
            datasets=datasets,
            dataset_index=index,
            locks=fixed,
            cap=np.maximum(cap, locked_count + anchored_count),
            locked_count=locked_count,
            min_size=min_size,
            max_size=max_size,
            objective=objective,
            warnings=warnings,
            instructor_locks=instructor,
            solo=solo_set,
            previous={**kept_previous},
            anchored=anchored,
            max_moves=max_moves,
            unranked=unranked_list,
            helpers=helpers,
            place_unranked=place_unranked,
            cut=cut,
            deep=deep,
        )

    def cost(self, rank: int) -> int:
        return rank * rank if self.objective == "squared" else rank


# --- solving ---------------------------------------------------------------


@dataclass
class _Sub:
    """One (sub)problem for the solver, with local indices.

    `fixed[d]` students sit on dataset d whatever happens (locks, and in the
    heuristic the students outside the neighbourhood): they are buddied if d
    opens, and `fixed_cost[d]` is what they add to the cost then. `stay` and
    `move` mark the edges of previous students who may move, `anchor` their
    previous dataset (-1 for others), `must` students who have to be buddied
    (counterfactuals), `helpers` the unranked students the MILP may place.
    """

    students: np.ndarray  # global student index per local student
    datasets: np.ndarray  # global dataset index per local dataset
    es: np.ndarray  # edge -> local student
    ed: np.ndarray  # edge -> local dataset
    cost: np.ndarray  # edge -> cost
    cap: np.ndarray  # local dataset -> room for the free students
    fixed: np.ndarray
    fixed_cost: np.ndarray
    stay: np.ndarray | None = None  # bool per edge
    move: np.ndarray | None = None  # bool per edge
    anchor: np.ndarray | None = None  # local dataset per local student, -1 for none
    must: np.ndarray | None = None  # bool per local student
    max_moves: int = 0
    helpers: int = 0

    @property
    def n(self) -> int:
        return len(self.students)

    @property
    def plain(self) -> bool:
        """No previous students, helpers or forced students: the heuristic's model."""
        return not self.helpers and (self.move is None or not self.move.any()) and (self.must is None)


@dataclass
class _Outcome:
    """A solved _Sub: the edges used, whether that is proven optimal, and bounds (see `_outcome`)."""

    chosen: np.ndarray  # bool per edge
    proven: bool
    bound_buddied: int  # including fixed students
    bound_cost: int
    helpers: np.ndarray | None = None  # per local dataset


@dataclass
class _Solved:
    buddied_at: dict[int, int]  # global student index -> dataset index (stage-1 buddied, unfixed)
    method: str
    components: int
    proven: bool
    bound_buddied: int = 0
    bound_cost: int = 0
    helpers_at: dict[int, int] = field(default_factory=dict)  # dataset index -> unranked students placed
    # For counterfactuals: the edges of the model and, per component, its edge indices.
    es: np.ndarray | None = None
    ed: np.ndarray | None = None
    cost: np.ndarray | None = None
    kind: np.ndarray | None = None  # per edge: 0 free, 1 stay, 2 move
    groups: list[np.ndarray] = field(default_factory=list)
    group_of: dict[int, int] = field(default_factory=dict)  # global student index -> group


def _edges(problem: _Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(student, dataset, rank, kind) of every edge of students who are not fixed.

    A previous student who may move has a stay edge (kind 1) to their previous
    dataset, ranked one past their list when it is not on it, and move edges
    (kind 2) to the rest of their list.
    """
    es, ed, rank, kind = [], [], [], []
    for i, s in enumerate(problem.students):
        if s in problem.locks:
            continue
        lst = problem.lists[i]
        home = problem.anchored.get(s)
        if home is not None:
            es.append(i)
            ed.append(problem.dataset_index[home])
            rank.append(lst.index(home) + 1 if home in lst else len(lst) + 1)
            kind.append(1)
        for r, d in enumerate(lst, start=1):
            if d == home:
                continue
            es.append(i)
            ed.append(problem.dataset_index[d])
            rank.append(r)
            kind.append(2 if home is not None else 0)
    as_array = lambda values: np.array(values, dtype=np.int64)  # noqa: E731
    return as_array(es), as_array(ed), as_array(rank), as_array(kind)


def _solve(problem: _Problem, *, deadline: float, exact_limit: int) -> _Solved:
    """Steps 2-3 of `match`.

    1. Edges of students who are not fixed, keeping datasets that can open: at
       least m interested students counting fixed ones and helpers, a capacity
       of at least m, and room left after the fixed students.
    2. Connected components of the student-dataset graph (one, when helpers or
       a move budget join them).
    3. Components up to `exact_limit` students: batched exact MILPs; larger
       ones: the heuristic. Datasets reached only by fixed students open when
       those alone reach m.
    """
    m = problem.min_size
    n_datasets = len(problem.datasets)
    es, ed, rank, kind = _edges(problem)
    potential = np.bincount(ed, minlength=n_datasets) + problem.locked_count + problem.helpers
    room = problem.cap - problem.locked_count
    can_open = (potential >= m) & (problem.cap >= m)
    keep = can_open[ed] & (room[ed] > 0)
    es, ed, rank, kind = es[keep], ed[keep], rank[keep], kind[keep]
    cost = rank * rank if problem.objective == "squared" else rank

    solved = _Solved(buddied_at={}, method="exact", components=0, proven=True, es=es, ed=ed, cost=cost, kind=kind)
    covered = np.zeros(n_datasets, dtype=bool)
    # Helpers can open a dataset that only fixed students are on: those join the model too.
    lock_only = np.flatnonzero((problem.locked_count > 0) & (problem.cap >= m)) if problem.helpers else None
    if problem.helpers or problem.anchored:
        # The helpers and the move budget are shared by everyone: one model.
        if len(es) or (lock_only is not None and len(lock_only)):
            group = np.arange(len(es))
            solved.groups = [group]
            solved.group_of = {int(i): 0 for i in np.unique(es)}
            solved.components = 1
            _absorb(solved, _exact(_sub(problem, group, solved, extra=lock_only), m=m, deadline=deadline))
            covered[ed] = True
            if lock_only is not None:
                covered[lock_only] = True
    elif len(es):
        # Students and datasets share one node numbering: students first.
        n_students = len(problem.students)
        graph = sparse.coo_matrix(
            (np.ones(len(es)), (es, n_students + ed)), shape=(n_students + n_datasets,) * 2
        ).tocsr()
        _, labels = connected_components(graph, directed=False)
        students_in = np.bincount(labels[np.unique(es)], minlength=len(labels))
        edge_label = labels[es]
        order = np.argsort(edge_label, kind="stable")
        groups = np.split(order, np.flatnonzero(np.diff(edge_label[order])) + 1)
        # Components in order of their first student, so batches are reproducible.
        groups.sort(key=lambda g: es[g[0]])
        solved.groups = groups
        for number, g in enumerate(groups):
            for i in np.unique(es[g]).tolist():
                solved.group_of[i] = number
        solved.components = len(groups)
        sizes = [int(students_in[edge_label[g[0]]]) for g in groups]
        small = [(g, size) for g, size in zip(groups, sizes) if size <= exact_limit]
        large = [g for g, size in zip(groups, sizes) if size > exact_limit]
        for batch in _batches(small, exact_limit):
            _absorb(solved, _exact(_sub(problem, batch, solved), m=m, deadline=deadline))
        for g in large:
            _absorb(solved, _heuristic(_sub(problem, g, solved), m=m, deadline=deadline))
        if large:
            solved.method = "mixed" if small else "heuristic"
        covered[ed] = True
    # Fixed students on a dataset no free student can join: buddied when they alone reach m.
    solved.bound_buddied += int(problem.locked_count[(~covered) & (problem.locked_count >= m)].sum())
    return solved


def _batches(groups: list[tuple[np.ndarray, int]], limit: int) -> list[np.ndarray]:
    """Pack (edges, students) of components into batches of at most `limit` students."""
    batches, current, size = [], [], 0
    for edges, students in groups:
        if current and size + students > limit:
            batches.append(np.concatenate(current))
            current, size = [], 0
        current.append(edges)
        size += students
    if current:
        batches.append(np.concatenate(current))
    return batches


def _sub(problem: _Problem, edges: np.ndarray, solved: _Solved, extra: np.ndarray | None = None) -> _Sub:
    """The model of some edges (`extra`: datasets to include even without an edge)."""
    # Edges grouped by student, each student's in rank order (the heuristic relies on it).
    es, ed, cost, kind = solved.es, solved.ed, solved.cost, solved.kind
    edges = np.sort(edges)
    students, local_s = np.unique(es[edges], return_inverse=True)
    datasets = np.unique(np.concatenate([ed[edges], extra if extra is not None else []]).astype(np.int64))
    local_d = np.searchsorted(datasets, ed[edges])
    locked = problem.locked_count[datasets]
    sub = _Sub(
        students=students,
        datasets=datasets,
        es=local_s,
        ed=local_d,
        cost=cost[edges],
        cap=problem.cap[datasets] - locked,
        fixed=locked,
        fixed_cost=np.zeros(len(datasets), dtype=np.int64),
        helpers=problem.helpers,
        max_moves=problem.max_moves,
    )
    if (kind[edges] > 0).any():
        sub.stay = kind[edges] == 1
        sub.move = kind[edges] == 2
        sub.anchor = np.full(len(students), -1, dtype=np.int64)
        sub.anchor[local_s[sub.stay]] = local_d[sub.stay]
    return sub


def _absorb(solved: _Solved, part: tuple[_Sub, "_Outcome"]) -> None:
    sub, outcome = part
    for e in np.flatnonzero(outcome.chosen):
        solved.buddied_at[int(sub.students[sub.es[e]])] = int(sub.datasets[sub.ed[e]])
    if outcome.helpers is not None:
        for d in np.flatnonzero(outcome.helpers):
            solved.helpers_at[int(sub.datasets[d])] = int(outcome.helpers[d])
    solved.proven &= outcome.proven
    solved.bound_buddied += outcome.bound_buddied
    solved.bound_cost += outcome.bound_cost


def _evaluate(sub: _Sub, chosen: np.ndarray, m: int, helpers: np.ndarray | None = None) -> tuple[int, int]:
    """(buddied, cost) of a choice of edges, counting fixed students on open datasets."""
    count = np.bincount(sub.ed[chosen], minlength=len(sub.datasets))
    if helpers is not None:
        count = count + helpers
    is_open = count + sub.fixed >= m
    buddied = int(chosen.sum() + sub.fixed[is_open].sum())
    return buddied, int(sub.cost[chosen].sum() + sub.fixed_cost[is_open].sum())


def _exact(sub: _Sub, *, m: int, deadline: float) -> tuple[_Sub, _Outcome]:
    answer = _milp(sub, m=m, time_limit=deadline - time.perf_counter(), polish=True)
    if answer is None and sub.plain:  # out of time before HiGHS found anything
        return _heuristic(sub, m=m, deadline=deadline)
    if answer is None:  # nobody moves and no helper: always feasible
        empty = np.zeros(len(sub.es), dtype=bool)
        buddied, cost = _evaluate(sub, empty, m)
        return sub, _Outcome(empty, False, buddied + sub.n, 0)
    buddied, cost = _evaluate(sub, answer.chosen, m, answer.helpers)
    if answer.proven:
        return sub, _Outcome(answer.chosen, True, buddied, cost, answer.helpers)
    # Stopped by the time limit. HiGHS's dual bound z on C - W*B still bounds
    # both stages: B <= (W - 1 - z) / W since C < W, and C >= z + W*B.
    weight, dual = answer.weight, answer.dual_bound
    known = (math.floor((weight - 1 - dual) / weight + 1e-9), math.ceil(dual + weight * buddied - 1e-6))
    outcome = _outcome(sub, answer.chosen, m=m, flow=_min_cost_flow(sub), deadline=deadline, known=known,
                       helpers=answer.helpers)
    outcome.helpers = answer.helpers
    return sub, outcome


def _outcome(
    sub: _Sub, chosen: np.ndarray, *, m: int, flow: "_Flow", deadline: float, known: tuple[int, int] | None = None,
    helpers: np.ndarray | None = None,
) -> _Outcome:
    """An outcome not proven by the MILP, with its bounds; proven after all if it meets them.

    The buddied bound is the relaxation without the minimum (`_min_cost_flow`),
    counting fixed students as buddied. The cost bound is for any solution
    that buddies as many students: the better of that relaxation and the
    Lagrangian of the full model (`_lagrangian_bound`; not with helpers, who
    open datasets the Lagrangian cannot). `known` adds bounds the solver
    proved (buddied, cost).
    """
    buddied, cost = _evaluate(sub, chosen, m, helpers)
    bound_buddied = max(buddied, flow.value + int(sub.fixed.sum()))
    need = min(flow.value, max(0, buddied - int(sub.fixed.sum())))
    bound_cost = flow.least_cost(need)
    if known is not None:
        bound_buddied = max(buddied, min(bound_buddied, known[0]))
        bound_cost = max(bound_cost, known[1])
    if bound_cost < cost and not sub.helpers:
        bound_cost = max(bound_cost, _lagrangian_bound(sub, chosen, m=m, need=need, flow=flow, deadline=deadline))
    bound_cost = min(cost, bound_cost)
    proven = buddied == bound_buddied and cost == bound_cost
    return _Outcome(chosen, proven, bound_buddied, bound_cost)


def _lagrangian_bound(sub: _Sub, chosen: np.ndarray, *, m: int, need: int, flow: "_Flow", deadline: float) -> int:
    """A lower bound on the cost of buddying `need` free students, as strong as the LP with (3).

    Relax "each student at most once" with a price pi_s per student and "at
    least `need` buddied" with mu >= max pi. Then each dataset decides alone:
    open with the t cheapest of its students by reduced cost c(s, d) - pi_s,
    t between m - (locked) and its room, if that sum is negative. For any such
    prices,
        L(pi, mu) = sum_s pi_s - mu * (n - need) + sum_d min(0, best opening of d)
    is a lower bound (when every student must be buddied, mu drops out).
    Projected subgradient ascent with Polyak steps towards our own cost, from
    pi_s = the cost each student pays now: 1-2 % from the LP bound in a few
    iterations, about 0.01 % after a few hundred on a 20,000-student instance.
    """
    n, n_datasets, n_edges = sub.n, len(sub.datasets), len(sub.es)
    lowest = np.maximum(0, m - sub.fixed)
    by_dataset = np.argsort(sub.ed, kind="stable")
    ed, es, cost = sub.ed[by_dataset], sub.es[by_dataset], sub.cost[by_dataset].astype(float)
    first = np.searchsorted(ed, np.arange(n_datasets))
    upper = float(sub.cost[chosen].sum())
    everyone = need == n
    # mu starts at the marginal cost of the need-th student in the relaxation.
    mu = float(flow.least_cost(need) - flow.least_cost(need - 1)) if need else 0.0
    pi = np.full(n, mu)
    pi[sub.es[chosen]] = sub.cost[chosen]
    if not everyone:
        pi = np.minimum(pi, mu)
    best, theta, history = -np.inf, 1.0, []
    for _ in range(_LAGRANGIAN_ITERATIONS):
        reduced = cost - pi[es]
        order = np.lexsort((reduced, ed))
        reduced_sorted, dataset = reduced[order], ed[order]
        position = np.arange(n_edges) - first[dataset]
        take = np.clip(np.bincount(dataset[reduced_sorted < 0], minlength=n_datasets), lowest, sub.cap)
        taken = position < take[dataset]
        opening = np.bincount(dataset, weights=reduced_sorted * taken, minlength=n_datasets)
        opens = opening < 0
        value = pi.sum() + opening[opens].sum() - (0.0 if everyone else mu * (n - need))
        best = max(best, value)
        history.append(value)
        # Halve the step when 20 iterations brought nothing new.
        if len(history) % 20 == 0 and max(history[-20:]) <= max(history[:-20], default=-np.inf):
            theta /= 2
        if upper - value < 0.5 or time.perf_counter() >= deadline:
            break
        grad_pi = 1.0 - np.bincount(es[order][taken & opens[dataset]], minlength=n)
        grad_mu = 0.0 if everyone else -float(n - need)
        norm = float(grad_pi @ grad_pi) + grad_mu**2
        if norm == 0:
            break
        step = theta * (upper - value) / norm
        pi = pi + step * grad_pi
        if not everyone:
            mu = max(0.0, mu + step * grad_mu, float(pi.max()))
    return math.ceil(best - 1e-6)


@dataclass
class _Answer:
    chosen: np.ndarray | None  # bool per edge; None when infeasible or out of time
    proven: bool
    weight: float  # W
    dual_bound: float  # HiGHS's lower bound on C - W*B
    helpers: np.ndarray | None = None  # per local dataset
    infeasible: bool = False


@dataclass
class _Model:
    c: np.ndarray
    constraints: LinearConstraint
    bounds: Bounds
    integer: np.ndarray
    weight: float
    n_help: int


def _model(sub: _Sub, *, m: int) -> _Model:
    """The weighted MILP of `_milp` as arrays."""
    n, n_edges, n_datasets = sub.n, len(sub.es), len(sub.datasets)
    n_help = n_datasets if sub.helpers else 0
    weight = _weight(sub)
    c = np.concatenate([sub.cost - weight, sub.fixed_cost - weight * sub.fixed, np.zeros(n_help)])
    edges = np.arange(n_edges)
    y = n_edges + np.arange(n_datasets)
    h = n_edges + n_datasets + np.arange(n_help)
    ones = np.ones(n_edges)
    base = n + 2 * n_datasets + n_edges
    rows = [
        sub.es,  # (1)
        n + sub.ed, n + np.arange(n_datasets),  # (2) lower: sum x + (k - m) y + h >= 0
        n + n_datasets + sub.ed, n + n_datasets + np.arange(n_datasets),  # (2) upper: sum x - u y + h <= 0
        n + 2 * n_datasets + edges, n + 2 * n_datasets + edges,  # (3) x - y <= 0
    ]
    cols = [edges, edges, y, edges, y, edges, n_edges + sub.ed]
    vals = [ones, ones, sub.fixed - m, ones, -sub.cap, ones, -ones]
    must = sub.must if sub.must is not None else np.zeros(n, dtype=bool)
    lower = [np.where(must, 1.0, -np.inf), np.zeros(n_datasets), np.full(n_datasets + n_edges, -np.inf)]
    upper = [np.ones(n), np.full(n_datasets, np.inf), np.zeros(n_datasets + n_edges)]
    integer = np.concatenate([np.zeros(n_edges), np.ones(n_datasets), np.ones(n_help)])
    if n_help:
        rows += [n + np.arange(n_datasets), n + n_datasets + np.arange(n_datasets)]
        cols += [h, h]
        vals += [np.ones(n_datasets), np.ones(n_datasets)]
    if sub.anchor is not None:
        anchored = np.flatnonzero(sub.anchor >= 0)
        mine = np.flatnonzero(sub.stay | sub.move)
        if len(anchored):
            row_of = np.full(n, -1)
            row_of[anchored] = base + np.arange(len(anchored))
            homed = mine[row_of[sub.es[mine]] >= 0]  # a student whose home cannot open has no row (4)
            rows += [row_of[sub.es[homed]], row_of[anchored]]  # (4) stay + moves - y[home] >= 0
            cols += [homed, n_edges + sub.anchor[anchored]]
            vals += [np.ones(len(homed)), -np.ones(len(anchored))]
            lower.append(np.zeros(len(anchored)))
            upper.append(np.full(len(anchored), np.inf))
            base += len(anchored)
        moving = np.flatnonzero(sub.move)
        rows.append(np.full(len(moving), base))  # (5) sum of moves <= N
        cols.append(moving)
        vals.append(np.ones(len(moving)))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([float(sub.max_moves)]))
        base += 1
        integer[np.flatnonzero(sub.move)] = 1  # stay edges follow: x[stay] = y[home] without a move
    if n_help:
        rows.append(np.full(n_help, base))  # (6) sum h <= U
        cols.append(h)
        vals.append(np.ones(n_help))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([float(sub.helpers)]))
        base += 1
    matrix = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(base, n_edges + n_datasets + n_help),
    )
    constraints = LinearConstraint(matrix, np.concatenate(lower), np.concatenate(upper))
    top = np.concatenate([np.ones(n_edges + n_datasets), np.full(n_help, float(sub.helpers))])
    bounds = Bounds(np.zeros(len(top)), top)
    return _Model(c, constraints, bounds, integer, weight, n_help)


def _milp(
    sub: _Sub, *, m: int, time_limit: float, bound_only: bool = False, relaxation_only: bool = False,
    polish: bool = False,
) -> _Answer | None:
    """Solve the weighted MILP of the module docstring; None if no solution in time.

    Columns: one x per edge, one y per dataset, then (with helpers) one h per
    dataset. Rows: (1) per student, (2) lower and upper per dataset, (3) per
    edge, then (4) per previous student, (5) the move budget, (6) the helpers.
    The LP relaxation goes first; an integral LP optimum is the answer. With
    `bound_only`, running out of time without a solution still returns the
    dual bound (chosen None); with `relaxation_only` a fractional LP optimum
    is returned as that bound without branching. With `polish`, the MILP gets
    `_FULL_SHARE` of the time; if that does not prove it, the rest goes to
    `_support_incumbent` and the better solution is kept, with the full MILP's
    bound (the answer is then proven only if `_outcome` finds it meets it).
    """
    if time_limit <= 0:
        return None
    model = _model(sub, m=m)
    c, constraints, bounds, integer, weight, n_help = (
        model.c, model.constraints, model.bounds, model.integer, model.weight, model.n_help
    )
    n_edges, n_datasets = len(sub.es), len(sub.datasets)
    started = time.perf_counter()
    relaxed = milp(c, integrality=np.zeros(len(c)), bounds=bounds, constraints=constraints,
                   options={"time_limit": time_limit})
    if relaxed.status == 2:
        return _Answer(None, True, weight, np.inf, infeasible=True)
    if relaxed.x is not None and relaxed.status == 0 and np.abs(relaxed.x - np.round(relaxed.x)).max(initial=0) < 1e-7:
        x = np.round(relaxed.x)
        return _Answer(x[:n_edges] > 0.5, True, weight, float(relaxed.fun), _helpers(x, n_edges, n_datasets, n_help))
    time_limit -= time.perf_counter() - started
    lp_bound = float(relaxed.fun) if relaxed.status == 0 else -np.inf
    if relaxation_only:
        return _Answer(None, False, weight, lp_bound)
    if time_limit <= 0:
        return _Answer(None, False, weight, lp_bound) if bound_only else None
    deadline = time.perf_counter() + time_limit
    result = milp(
        c,
        integrality=integer,
        bounds=bounds,
        constraints=constraints,
        options={"time_limit": time_limit * (_FULL_SHARE if polish else 1.0), "mip_rel_gap": 0.0},
    )
    if result.status == 2:
        return _Answer(None, True, weight, np.inf, infeasible=True)
    # Proof and bound come from the full model only (not from the support's or an integer redo's solve).
    proven = result.status == 0
    dual = max(lp_bound, float(result.mip_dual_bound) if result.mip_dual_bound is not None else -np.inf)
    if polish and not proven and relaxed.x is not None:
        found = _support_incumbent(model, relaxed.x, n_edges, n_datasets, time_limit=deadline - time.perf_counter())
        if found is not None and (result.x is None or found.fun < result.fun - 0.5):
            result = found
    if result.x is None:
        return _Answer(None, False, weight, dual) if bound_only else None
    x = result.x[:n_edges]
    if np.abs(x - np.round(x)).max(initial=0.0) > 1e-6:
        # A vertex would be integral (see the module docstring); a solver
        # heuristic may still hand back an interior point. Redo it with x integer.
        fixed_y = np.round(result.x[n_edges:])
        result = milp(
            c,
            integrality=np.ones(len(c)),
            bounds=Bounds(np.zeros(len(c)), np.concatenate([np.ones(n_edges), fixed_y])),
            constraints=constraints,
            options={"time_limit": max(time_limit, 1.0), "mip_rel_gap": 0.0},
        )
        proven = proven and result.status == 0
        x = result.x[:n_edges]
    return _Answer(x > 0.5, proven, weight, dual, _helpers(result.x, n_edges, n_datasets, n_help))


def _support_incumbent(model: _Model, relaxed: np.ndarray, n_edges: int, n_datasets: int, *, time_limit: float):
    """A good solution when the MILP is too hard to prove in time: HiGHS on the LP's support.

    Datasets the LP relaxation leaves closed stay closed and those it opens to
    at least `_FIX_OPEN` are opened, so far fewer y are free: on the 500-student
    near-uniform instance of `bench/match_bench.py` (minimum 4) this finds a
    solution 0.3 % above the optimum in about 1.5 s, where the full MILP needs
    10 s to get within 0.9 %. Any solution of it is one of the full model (only
    bounds are tightened); should fixing the opened ones leave nothing feasible,
    the support alone is tried. None when nothing is found in time.
    """
    y = relaxed[n_edges:n_edges + n_datasets]
    deadline = time.perf_counter() + time_limit
    for fix_open in (True, False):
        left = deadline - time.perf_counter()
        if left < 0.05:
            return None
        lower, upper = model.bounds.lb.copy(), model.bounds.ub.copy()
        upper[n_edges:n_edges + n_datasets][y < 1e-6] = 0.0
        if fix_open:
            lower[n_edges:n_edges + n_datasets][y >= _FIX_OPEN] = 1.0
        found = milp(model.c, integrality=model.integer, bounds=Bounds(lower, upper), constraints=model.constraints,
                     options={"time_limit": left, "mip_rel_gap": 0.0})
        if found.x is not None:
            x = found.x[:n_edges]
            return found if np.abs(x - np.round(x)).max(initial=0.0) <= 1e-6 else None
    return None


def _reduced_costs(sub: _Sub, *, m: int, time_limit: float) -> tuple[float, np.ndarray, np.ndarray] | None:
    """The LP relaxation's optimum, the reduced cost of every edge and the students' prices (row (1) duals).

    HiGHS through `linprog`, which reports duals (`milp` does not).

    For any solution x, value(x) >= LP + sum_e rc_e * x_e over edges at their
    lower bound, so forcing a student onto one of some edges costs at least the
    least of their reduced costs: one LP prices every student's counterfactual.
    """
    if time_limit <= 0:
        return None
    model = _model(sub, m=m)
    matrix = model.constraints.A.tocsr()
    lower, upper = model.constraints.lb, model.constraints.ub
    equal = np.isfinite(lower) & (lower == upper)
    above, below = np.isfinite(upper) & ~equal, np.isfinite(lower) & ~equal
    a_ub = sparse.vstack([matrix[above], -matrix[below]]).tocsr()
    b_ub = np.concatenate([upper[above], -lower[below]])
    result = linprog(
        model.c, A_ub=a_ub, b_ub=b_ub, A_eq=matrix[equal] if equal.any() else None,
        b_eq=upper[equal] if equal.any() else None,
        bounds=np.column_stack([model.bounds.lb, model.bounds.ub]), method="highs",
        options={"time_limit": time_limit},
    )
    if result.status != 0:
        return None
    # Row (1) of every student comes first among the "<=" rows (none is an equality without `must`).
    prices = -result.ineqlin.marginals[: sub.n] if not equal.any() else np.zeros(sub.n)
    return float(result.fun), np.maximum(result.lower.marginals[: len(sub.es)], 0.0), np.maximum(prices, 0.0)


def _helpers(x: np.ndarray, n_edges: int, n_datasets: int, n_help: int) -> np.ndarray | None:
    if not n_help:
        return None
    return np.round(x[n_edges + n_datasets:]).astype(np.int64)


# --- the heuristic for very large components ---------------------------------


def _heuristic(sub: _Sub, *, m: int, deadline: float) -> tuple[_Sub, _Outcome]:
    """A component too large for one MILP: relax, repair, then re-optimise neighbourhoods exactly.

    1. Drop the minimum: what is left is a min-cost flow (`_min_cost_flow`),
       solved exactly. It places as many students as any assignment can, at the
       least cost, and yields the bounds.
    2. Datasets left under m are emptied; their students join the best open
       dataset with room on their list, if any.
    3. Large-neighbourhood search (`_improve`): the students around the trouble
       are re-solved exactly by the MILP with everyone else fixed.
    """
    starts = np.searchsorted(sub.es, np.arange(sub.n))
    flow = _min_cost_flow(sub)
    assign = _repair(sub, flow.assign, starts, m)
    # Nothing can beat the relaxation's optimum: stop there if the search reaches it.
    ideal = (flow.value + int(sub.fixed.sum()), -flow.least_cost(flow.value))
    # The search gets 70 % of the time left; the bound needs the rest.
    search_deadline = time.perf_counter() + 0.7 * (deadline - time.perf_counter())
    assign = _improve(sub, assign, m=m, deadline=search_deadline, ideal=ideal)
    chosen = np.zeros(len(sub.es), dtype=bool)
    chosen[assign[assign >= 0]] = True
    return sub, _outcome(sub, chosen, m=m, flow=flow, deadline=deadline)


@dataclass
class _Flow:
    """A min-cost maximum placement without the minimum, and its cost curve."""

    assign: np.ndarray  # edge per student, -1 for none
    value: int
    curve: list[tuple[int, int]]  # (students placed, least cost) at each phase's end

    def least_cost(self, placed: int) -> int:
        """Least cost of placing `placed` students: linear between the phases' ends."""
        for (v0, c0), (v1, c1) in zip(self.curve, self.curve[1:]):
            if placed <= v1:
                return c0 + math.ceil((placed - v0) * (c1 - c0) / (v1 - v0))
        return self.curve[-1][1]


def _min_cost_flow(sub: _Sub) -> _Flow:
    """Place as many students as capacity allows at the least cost, ignoring the minimum.

    Primal-dual algorithm on source -> student -> dataset -> sink: node
    potentials keep every residual arc's reduced cost non-negative; Dijkstra
    finds the shortest augmenting distance; a max flow on the arcs of zero
    reduced cost then augments along all shortest paths at once. Costs are
    small integers, so there are few phases (one per marginal cost). Each
    phase ends with a min-cost flow of its value, and the least cost is linear
    in between: the relaxation's exact cost for any number of placed students.
    """
    n, n_datasets, n_edges = sub.n, len(sub.datasets), len(sub.es)
    source, sink = 0, n + n_datasets + 1
    shape = (sink + 1, sink + 1)
    student_node, dataset_node = 1 + sub.es, 1 + n + sub.ed
    # Dijkstra needs positive weights: a path has at most `sink` arcs, so adding
    # this to each keeps the error under 1, and distances are whole numbers.
    nudge = 1.0 / (sink + 2)
    edge_of = np.argsort(sub.es * n_datasets + sub.ed)
    edge_keys = (sub.es * n_datasets + sub.ed)[edge_of]
    potential = np.zeros(sink + 1)
    assign = np.full(n, -1, dtype=np.int64)
    curve = [(0, 0)]
    while True:
        used = np.zeros(n_edges, dtype=bool)
        used[assign[assign >= 0]] = True
        room = sub.cap - np.bincount(sub.ed[used], minlength=n_datasets)
        unplaced = np.flatnonzero(assign < 0)
        with_room = np.flatnonzero(room > 0)
        tail = np.concatenate([np.zeros(len(unplaced), dtype=np.int64), student_node[~used], dataset_node[used],
                               1 + n + with_room])
        head = np.concatenate([1 + unplaced, dataset_node[~used], student_node[used],
                               np.full(len(with_room), sink)])
        arc_cost = np.concatenate([np.zeros(len(unplaced)), sub.cost[~used], -sub.cost[used],
                                   np.zeros(len(with_room))])
        arc_cap = np.concatenate([np.ones(len(unplaced) + n_edges), room[with_room]]).astype(np.int32)
        reduced = arc_cost + potential[tail] - potential[head]
        distance = dijkstra(sparse.csr_matrix((reduced + nudge, (tail, head)), shape=shape), indices=source)
        if not np.isfinite(distance[sink]):
            break
        potential += np.floor(np.minimum(distance, distance[sink]) + 1e-9)
        tight = np.abs(arc_cost + potential[tail] - potential[head]) < 0.5
        flow = maximum_flow(
            sparse.csr_matrix((arc_cap[tight], (tail[tight], head[tight])), shape=shape), source, sink
        )
        if not flow.flow_value:
            break
        moves = flow.flow.tocoo()
        to_dataset = (moves.data > 0) & (moves.row >= 1) & (moves.row <= n) & (moves.col > n) & (moves.col < sink)
        students = moves.row[to_dataset] - 1
        keys = students * n_datasets + (moves.col[to_dataset] - 1 - n)
        assign[students] = edge_of[np.searchsorted(edge_keys, keys)]
        placed = assign >= 0
        curve.append((int(placed.sum()), int(sub.cost[assign[placed]].sum())))
    return _Flow(assign=assign, value=curve[-1][0], curve=curve)


def _repair(sub: _Sub, assign: np.ndarray, starts: np.ndarray, m: int) -> np.ndarray:
    """Empty datasets under m; move their students to the best open dataset with room."""
    n_datasets = len(sub.datasets)
    placed = assign >= 0
    count = np.bincount(sub.ed[assign[placed]], minlength=n_datasets)
    short = (count > 0) & (count + sub.fixed < m)
    drop = placed.copy()
    drop[placed] = short[sub.ed[assign[placed]]]
    assign = np.where(drop, -1, assign)
    count[short] = 0
    is_open = count + sub.fixed >= m
    ends = np.append(starts[1:], len(sub.es))
    for s in np.flatnonzero(assign < 0).tolist():
        for e in range(starts[s], ends[s]):
            d = sub.ed[e]
            if is_open[d] and count[d] < sub.cap[d]:
                assign[s] = e
                count[d] += 1
                break
    return assign


def _improve(
    sub: _Sub, assign: np.ndarray, *, m: int, deadline: float, ideal: tuple[int, int]
) -> np.ndarray:
    """Step 3 of `_heuristic`: exact re-optimisation of neighbourhoods, until `ideal` or no progress."""
    turns = np.zeros(len(sub.datasets), dtype=np.int64)
    score = _score(sub, assign, m)
    for _ in range(_MAX_ROUNDS):
        neighbourhood, taken, troubled = _neighbourhood(sub, assign, turns, m)
        if score == ideal or not len(neighbourhood) or time.perf_counter() >= deadline:
            break
        turns[taken] += 1
        candidate = _reoptimise(sub, assign, neighbourhood, m=m, deadline=deadline)
        if candidate is not None:
            new_score = _score(sub, candidate, m)
            if new_score >= score:
                improved = new_score > score
                assign, score = candidate, new_score
                if improved:
                    continue
        if (turns[troubled] > 0).all():
            break
    return assign


def _score(sub: _Sub, assign: np.ndarray, m: int) -> tuple[int, int]:
    chosen = np.zeros(len(sub.es), dtype=bool)
    chosen[assign[assign >= 0]] = True
    buddied, cost = _evaluate(sub, chosen, m)
    return buddied, -cost


def _neighbourhood(
    sub: _Sub, assign: np.ndarray, turns: np.ndarray, m: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(students to re-solve, the datasets taken, all troubled datasets).

    A dataset is troubled when it is closed or full and some student ranks it
    above where they are now (or is not buddied at all). Troubled datasets are
    taken whole (every student who lists one joins the neighbourhood, so its
    fate is really open), those with fewer turns and more students waiting
    first, until _NEIGHBOURHOOD students.
    """
    n_datasets = len(sub.datasets)
    placed = assign >= 0
    count = np.bincount(sub.ed[assign[placed]], minlength=n_datasets)
    blocked = (count + sub.fixed < m) | (count >= sub.cap)
    current_cost = np.where(placed, sub.cost[np.maximum(assign, 0)], np.iinfo(np.int64).max)
    waiting = (sub.cost < current_cost[sub.es]) & blocked[sub.ed]
    demand = np.bincount(sub.ed[waiting], minlength=n_datasets)
    troubled = np.flatnonzero(demand)
    order = troubled[np.lexsort((troubled, -demand[troubled], turns[troubled]))]
    by_dataset = np.argsort(sub.ed, kind="stable")
    listers = np.split(sub.es[by_dataset], np.cumsum(np.bincount(sub.ed, minlength=n_datasets))[:-1])
    inside = np.zeros(sub.n, dtype=bool)
    size, taken = 0, []
    for d in order.tolist():
        new = listers[d][~inside[listers[d]]]
        if size + len(new) > _NEIGHBOURHOOD:
            if taken:
                break
            new = new[:_NEIGHBOURHOOD]  # one dataset bigger than a neighbourhood: part of it
        inside[new] = True
        size += len(new)
        taken.append(d)
    return np.flatnonzero(inside), np.array(taken, dtype=np.int64), troubled


def _reoptimise(sub: _Sub, assign: np.ndarray, chosen_students: np.ndarray, *, m: int, deadline: float):
    """Re-solve `chosen_students` exactly with everyone else fixed; None if out of time."""
    inside = np.zeros(sub.n, dtype=bool)
    inside[chosen_students] = True
    n_datasets = len(sub.datasets)
    outside = (~inside) & (assign >= 0)
    out_edges = assign[outside]
    fixed = sub.fixed + np.bincount(sub.ed[out_edges], minlength=n_datasets)
    fixed_cost = sub.fixed_cost + np.bincount(sub.ed[out_edges], weights=sub.cost[out_edges], minlength=n_datasets)
    edges = np.flatnonzero(inside[sub.es])
    datasets, local_d = np.unique(sub.ed[edges], return_inverse=True)
    part = _Sub(
        students=chosen_students,
        datasets=datasets,
        es=np.searchsorted(chosen_students, sub.es[edges]),
        ed=local_d,
        cost=sub.cost[edges],
        cap=sub.cap[datasets] - (fixed - sub.fixed)[datasets],
        fixed=fixed[datasets],
        fixed_cost=fixed_cost[datasets].astype(np.int64),
    )
    answer = _milp(part, m=m, time_limit=deadline - time.perf_counter())
    if answer is None:
        return None
    picked = answer.chosen
    new = assign.copy()
    new[chosen_students] = -1
    new[chosen_students[part.es[picked]]] = edges[picked]
    # Fixed students on a dataset the sub-problem closed are no longer buddied.
    count = np.bincount(sub.ed[new[new >= 0]], minlength=n_datasets)
    closed = count + sub.fixed < m
    placed = new >= 0
    new[placed & closed[sub.ed[np.maximum(new, 0)]]] = -1
    return new


# --- after solving ---------------------------------------------------------
# --- after solving ---------------------------------------------------------


def _place_alone(
    problem: _Problem, solved: _Solved, *, similarity
) -> tuple[dict[str, str | None], dict[str, str]]:
    """Step 4 of `match`: a dataset for every student who is not buddied, then the unranked.

    Fixed students sit on their dataset, buddied ones on theirs, previous
    students who did not move on their previous dataset; the helpers the MILP
    placed go where it put them. Then, in name order, each other student takes:
      1. an open dataset with room from their own list (the heuristic may leave one);
      2. with a similarity, the open circle with room most similar to their picks
         (recorded in `related`);
      3. the highest dataset on their list with room, open or not;
      4. nothing (unassigned) when every dataset on their list is full.
    Last, the remaining unranked students (`_place_unranked`).
    """
    m = problem.min_size
    index = problem.dataset_index
    buddied_at = solved.buddied_at
    count = problem.locked_count.copy()
    for d in buddied_at.values():
        count[d] += 1
    for i, student in enumerate(problem.students):
        if student in problem.anchored and i not in buddied_at:
            count[index[problem.anchored[student]]] += 1
    helper_count = np.zeros(len(problem.datasets), dtype=np.int64)
    if problem.place_unranked:
        for d, k in solved.helpers_at.items():
            helper_count[d] = k
    count += helper_count
    assignments: dict[str, str | None] = {}
    related: dict[str, str] = {}
    scores: dict[tuple[str, str], float] = {}

    def similar(a: str, b: str) -> float:
        if (a, b) not in scores:
            scores[(a, b)] = float(similarity(a, b))
        return scores[(a, b)]

    for i, student in enumerate(problem.students):
        if student in problem.locks:
            assignments[student] = problem.locks[student]
            continue
        if i in buddied_at:
            assignments[student] = problem.datasets[buddied_at[i]]
            continue
        if student in problem.anchored:
            assignments[student] = problem.anchored[student]
            continue
        own = [index[d] for d in problem.lists[i]]
        with_room = [d for d in own if count[d] < problem.cap[d]]
        choice = next((d for d in with_room if count[d] >= m), None)
        if choice is None and similarity is not None and own:
            circles = [
                d for d in np.flatnonzero((count >= m) & (count < problem.cap)).tolist() if d not in own
            ]
            scored = [
                (max(similar(problem.datasets[o], problem.datasets[c]) for o in own), problem.datasets[c], c)
                for c in circles
            ]
            # Circles come in name order and max() keeps the first of equals: ties go to the first name.
            best = max(scored, key=lambda t: t[0], default=None)
            if best is not None and best[0] > 0:
                related[student] = best[1]
                choice = best[2]
        if choice is None and with_room:
            choice = with_room[0]
        if choice is not None:
            count[choice] += 1
        assignments[student] = problem.datasets[choice] if choice is not None else None
    for student in problem.unranked:
        assignments[student] = None
    if problem.place_unranked:
        _place_unranked(problem, assignments, count - helper_count, helper_count)
    return assignments, related


def _place_unranked(problem: _Problem, assignments: dict, count: np.ndarray, planned: np.ndarray) -> None:
    """The unranked students, in name order: first where the MILP put helpers, then

    1. circles under the minimum that the rest can bring up to it (fewest
       needed first), never above the maximum;
    2. any used dataset with room: open circles first, the smallest first.
    """
    m = problem.min_size
    waiting = list(problem.unranked)
    for d in np.flatnonzero(planned).tolist():
        for _ in range(int(planned[d])):
            if waiting:
                assignments[waiting.pop(0)] = problem.datasets[d]
                count[d] += 1
    short = [d for d in np.flatnonzero((count > 0) & (count < m)).tolist() if m <= problem.cap[d]]
    for d in sorted(short, key=lambda d: (m - count[d], d)):
        if m - count[d] <= len(waiting):
            while count[d] < m:
                assignments[waiting.pop(0)] = problem.datasets[d]
                count[d] += 1
    while waiting:
        used = np.flatnonzero((count > 0) & (count < problem.cap))
        if not len(used):
            break
        d = min(used.tolist(), key=lambda d: (count[d] < m, count[d], d))
        assignments[waiting.pop(0)] = problem.datasets[d]
        count[d] += 1


def _result(
    problem: _Problem,
    assignments: dict[str, str | None],
    related: dict[str, str],
    solved: _Solved,
    *,
    started: float,
) -> MatchResult:
    """Step 5 of `match`: circles, the audit and the quality numbers, from the final assignments."""
    m = problem.min_size
    n = len(problem.students)
    circles: dict[str, list[str]] = {}
    for student in sorted(assignments):
        if assignments[student] is not None:
            circles.setdefault(assignments[student], []).append(student)
    circles = dict(sorted(circles.items()))
    rank_of = [{d: r for r, d in enumerate(lst, start=1)} for lst in problem.lists]
    buddied, alone, by_choice, unassigned = [], [], [], []
    profile: dict[str, int] = {}
    ranks, cost = [], 0
    for i, student in enumerate(problem.students):
        dataset = assignments[student]
        if dataset is None:
            unassigned.append(student)
            continue
        rank = rank_of[i].get(dataset)
        fixed = student in problem.locks
        if rank is not None:
            ranks.append(rank)
            profile[str(rank)] = profile.get(str(rank), 0) + 1
        home = problem.anchored.get(student)
        if (rank is not None or fixed or dataset == home) and len(circles[dataset]) >= m:
            buddied.append(student)
            if not fixed:
                cost += problem.cost(rank if rank is not None else len(problem.lists[i]) + 1)
        elif student in problem.solo:
            by_choice.append(student)
        else:
            alone.append(student)
    top = max((int(r) for r in profile), default=0)
    rank_profile = {str(r): profile.get(str(r), 0) for r in range(1, top + 1)}
    rank_profile["off_list"] = n - len(unassigned) - len(ranks)
    rank_profile["unassigned"] = len(unassigned)
    moved = sorted(s for s, d in problem.anchored.items() if assignments[s] != d)
    details = _audit(problem, assignments, circles, related, solved, moved)
    counted = n - len(by_choice)
    if solved.method == "first_choice":
        achievable, gap, bound = None, None, None
    else:
        bound_buddied = max(solved.bound_buddied, len(buddied))
        bound_cost = min(solved.bound_cost, cost)
        achievable = min(1.0, bound_buddied / counted) if counted else None
        gap = 0.0 if solved.proven else max(
            (bound_buddied - len(buddied)) / bound_buddied if bound_buddied else 0.0,
            (cost - bound_cost) / bound_cost if bound_cost else 0.0,
        )
        bound = {"buddied": bound_buddied, "cost": bound_cost}
    warnings = list(problem.warnings)
    proven = solved.proven and solved.method != "first_choice"
    if problem.cut is not None and proven:
        # Any solution using a choice deeper than the cut pays at least this (module docstring),
        # and none buddies more than the students with a dataset on their whole list that could open.
        free_buddied = sum(1 for s in buddied if s not in problem.locks)
        if cost > problem.cost(problem.cut + 1) + max(0, free_buddied - 1) or len(buddied) < _most_buddied(problem):
            proven = False
            gap = None
            warnings.append(f"The result is proven optimal for everyone's first {problem.cut} choices only.")
    unranked_left = [s for s in problem.unranked if assignments[s] is None]
    quality = {
        "students": n,
        "buddied": len(buddied),
        "buddy_rate": len(buddied) / counted if counted else None,
        "achievable_buddy_rate": achievable,
        "mean_rank": sum(ranks) / len(ranks) if ranks else None,
        "rank_profile": rank_profile,
        "cost": cost,
        "bound": bound,
        "unassigned": unassigned,
        "alone": len(alone),
        "related": sum(1 for s in related if assignments[s] == related[s]),
        "locked": len(problem.instructor_locks),
        "solo": len(problem.solo),
        "alone_by_choice": len(by_choice),
        "unranked": len(problem.unranked),
        "unranked_placed": len(problem.unranked) - len(unranked_left),
        "previous": len(problem.previous),
        "moved": len(moved),
        "max_moves": problem.max_moves,
        "pareto_optimal": None,
        "pareto_improvable": None,
        "violations": len(details),
        "violation_details": details,
        "optimal": proven,
        "gap": gap,
        "method": solved.method,
        "components": solved.components,
        "objective": problem.objective,
        "min_size": m,
        "max_size": problem.max_size,
        "warnings": warnings,
        "seconds": time.perf_counter() - started,
    }
    return MatchResult(
        assignments=assignments, circles=circles, alone=alone, related=related, quality=quality,
        unranked=unranked_left, moved=moved, explanations={},
    )


def _cut_proof(problem: _Problem, solved: _Solved, quality: dict, *, time_limit: float) -> bool:
    """Prove that the choices cut off (`max_choices`) cannot improve the result (module docstring).

    For any student prices pi >= 0, the Lagrangian relaxing row (1), L =
    -sum pi + sum_d min(0, best opening of d), is a lower bound on C - W*B for
    any solution of the whole lists, computed here over the whole lists (each
    dataset opens with the t cheapest of its students by c - W + pi, t from m
    to its capacity). Prices tried: what each buddied student pays now, then
    the cut LP's row (1) duals.
    When L reaches our value and no solution can buddy more (`_most_buddied`),
    the result is optimal for the whole lists. Only without fixed students,
    previous students or helpers.
    """
    if problem.locks or problem.anchored or problem.helpers or not len(solved.es) or not solved.proven:
        return False
    if quality["buddied"] < _most_buddied(problem):
        return False
    m = problem.min_size
    sub = _sub(problem, np.arange(len(solved.es)), solved)
    weight = _weight(sub)
    target = quality["cost"] - weight * quality["buddied"]
    number: dict[str, int] = {}
    es, ed, rank = [], [], []
    for i, s in enumerate(problem.students):
        whole = problem.lists[i] + problem.deep.get(s, ())
        es.append(np.full(len(whole), i))
        ed.append(np.fromiter((number.setdefault(d, len(number)) for d in whole), dtype=np.int64, count=len(whole)))
        rank.append(np.arange(1, len(whole) + 1))
    es, ed, rank = np.concatenate(es), np.concatenate(ed), np.concatenate(rank)
    cost = (rank * rank if problem.objective == "squared" else rank).astype(float)
    cap = problem.max_size if problem.max_size is not None else len(problem.students)
    n_datasets = len(number)

    def lagrangian(prices: np.ndarray) -> float:
        reduced = cost - weight + prices[es]
        order = np.lexsort((reduced, ed))
        by, value = ed[order], reduced[order]
        size = np.bincount(by, minlength=n_datasets)
        first = np.concatenate([[0], np.cumsum(size)[:-1]])
        negative = np.bincount(by[value < 0], minlength=n_datasets)
        take = np.clip(negative, m, np.minimum(cap, size))
        taken = (np.arange(len(by)) - first[by]) < take[by]
        opening = np.bincount(by[taken], weights=value[taken], minlength=n_datasets)
        opening[(size < m) | (cap < m)] = 0.0
        return float(-prices.sum() + np.minimum(opening, 0.0).sum())

    # Prices: what each buddied student pays now (W - their cost), and the LP's duals when they differ.
    paying = np.zeros(len(problem.students))
    for i, d in solved.buddied_at.items():
        paying[i] = weight - problem.cost(problem.lists[i].index(problem.datasets[d]) + 1)
    tolerance = 1e-6 * max(1.0, abs(target))
    if lagrangian(paying) >= target - tolerance:
        return True
    priced = _reduced_costs(sub, m=m, time_limit=time_limit)
    if priced is None or priced[0] < target - tolerance:
        return False  # the LP is not tight: no prices can prove it
    prices = np.zeros(len(problem.students))
    prices[sub.students] = priced[2]
    return lagrangian(prices) >= target - tolerance


def _most_buddied(problem: _Problem) -> int:
    """An upper bound on the buddied students with the whole lists: fixed ones, and others with a dataset that
    enough students list (counting fixed ones and helpers) under a capacity of at least m."""
    m = problem.min_size
    interest: dict[str, int] = {}
    for i, s in enumerate(problem.students):
        for d in problem.lists[i] + problem.deep.get(s, ()):
            interest[d] = interest.get(d, 0) + 1
    for d in problem.locks.values():
        interest[d] = interest.get(d, 0) + 1
    roomy = problem.max_size is None or problem.max_size >= m

    def can_open(d: str) -> bool:
        room = problem.cap[problem.dataset_index[d]] >= m if d in problem.dataset_index else roomy
        return room and interest[d] + problem.helpers >= m

    bound = len(problem.locks)
    for i, s in enumerate(problem.students):
        if s not in problem.locks and any(can_open(d) for d in problem.lists[i] + problem.deep.get(s, ())):
            bound += 1
    return bound


def _audit(problem: _Problem, assignments, circles, related, solved: _Solved, moved: list[str]) -> list[str]:
    """Check the final assignment against the rules, independently of how it was made."""
    m = problem.min_size
    problems = []
    if sorted(assignments) != sorted(problem.students + problem.unranked):
        problems.append("Not every student appears exactly once.")
    for dataset, members in circles.items():
        if len(members) > problem.cap[problem.dataset_index[dataset]]:
            problems.append(f"{dataset} holds {len(members)} students, above its maximum.")
    for student, dataset in problem.locks.items():
        if assignments[student] != dataset:
            problems.append(f"The lock of {student} on {dataset} was broken.")
    if len(moved) > problem.max_moves:
        problems.append(f"{len(moved)} previous students moved, above the {problem.max_moves} allowed.")
    for i, dataset in solved.buddied_at.items():
        student = problem.students[i]
        if assignments[student] != problem.datasets[dataset] or len(circles[problem.datasets[dataset]]) < m:
            problems.append(f"{student} was matched on {problem.datasets[dataset]}, a circle under the minimum.")
    for i, student in enumerate(problem.students):
        dataset = assignments[student]
        on_list = dataset in problem.lists[i]
        home = problem.anchored.get(student)
        allowed = student in problem.locks or related.get(student) == dataset or dataset == home
        if dataset is not None and not on_list and not allowed:
            problems.append(f"{student} was given {dataset}, which is not on their list.")
    return problems


# --- fairness and explanations -----------------------------------------------


def _rank_now(problem: _Problem, i: int, dataset: str | None) -> int:
    """A student's rank of their dataset; one past their list when off it or unassigned."""
    lst = problem.lists[i]
    return lst.index(dataset) + 1 if dataset in lst else len(lst) + 1


def _pareto(problem: _Problem, result: MatchResult, *, time_limit: float) -> dict:
    """Could some students get a higher choice with nobody worse off? One MILP (module docstring).

    Students who may move: those with a list, not fixed and not previous
    students. Each may take a dataset they rank higher than their own (any
    dataset of their list when unassigned or off it). Everyone else stays. Rows:
    at most one move each; no dataset above its capacity; a dataset that is a
    circle now stays one (at least m) unless everyone leaves it; a buddied
    student who moves lands in a circle of at least m, one who stays keeps
    theirs. Maximise the ranks gained; 0 means Pareto optimal.
    """
    m = problem.min_size
    index = problem.dataset_index
    assignments, circles = result.assignments, result.circles
    n_datasets = len(problem.datasets)
    base = np.zeros(n_datasets, dtype=np.int64)
    for d, members in circles.items():
        base[index[d]] = len(members)
    opened = base >= m
    movers, options = [], []  # options: (mover number, dataset, ranks gained)
    staying_buddied = np.zeros(n_datasets, dtype=bool)  # a buddied student who cannot move
    for i, s in enumerate(problem.students):
        d = assignments[s]
        buddied = d is not None and opened[index[d]] and (d in problem.lists[i] or s in problem.locks
                                                         or d == problem.anchored.get(s))
        if s in problem.locks or s in problem.anchored or not problem.lists[i]:
            if buddied:
                staying_buddied[index[d]] = True
            continue
        now = _rank_now(problem, i, d)
        better = [(r, e) for r, e in enumerate(problem.lists[i][: now - 1], start=1)]
        if not better:
            if buddied:
                staying_buddied[index[d]] = True
            continue
        number = len(movers)
        movers.append((s, i, index[d] if d is not None else -1, buddied))
        options += [(number, index[e], now - r) for r, e in better]
    if not options:
        return {"pareto_optimal": True, "pareto_improvable": 0}
    k, n_opt = len(movers), len(options)
    who = np.array([o[0] for o in options])
    where = np.array([o[1] for o in options])
    gain = np.array([o[2] for o in options], dtype=float)
    home = np.array([mv[2] for mv in movers])
    was_buddied = np.array([mv[3] for mv in movers])
    touched = np.unique(np.concatenate([where, home[home >= 0]]))
    local = np.full(n_datasets, -1)
    local[touched] = np.arange(len(touched))
    n_d = len(touched)
    # Columns: x per option, then y per touched dataset. count_d = base + joins - leaves.
    rows, cols, vals, lower, upper = [], [], [], [], []
    r = 0
    rows.append(who); cols.append(np.arange(n_opt)); vals.append(np.ones(n_opt))  # noqa: E702
    lower.append(np.full(k, -np.inf)); upper.append(np.ones(k)); r += k  # noqa: E702
    leaves = home[who] >= 0  # an option of a student who leaves a dataset
    for sign_rows, bound_lo, bound_hi, y_coef in (
        ("cap", None, problem.cap[touched] - base[touched], None),
        ("min", -base[touched], None, -m),
        ("open", None, -base[touched], -problem.cap[touched]),
    ):
        rows += [r + local[where], r + local[home[who][leaves]]]
        cols += [np.arange(n_opt), np.flatnonzero(leaves)]
        vals += [np.ones(n_opt), -np.ones(int(leaves.sum()))]
        if y_coef is not None:
            rows.append(r + np.arange(n_d))
            cols.append(n_opt + np.arange(n_d))
            vals.append(np.broadcast_to(np.asarray(y_coef, dtype=float), (n_d,)).copy())
        lower.append(np.full(n_d, -np.inf) if bound_lo is None else bound_lo.astype(float))
        hi = np.full(n_d, np.inf) if bound_hi is None else bound_hi.astype(float)
        if sign_rows == "open":
            hi = np.where(opened[touched], hi, np.inf)  # only circles open now must be all or nothing
        upper.append(hi)
        r += n_d
    # A buddied mover lands in a circle: x <= y of its dataset.
    moving = np.flatnonzero(was_buddied[who])
    rows += [r + np.arange(len(moving)), r + np.arange(len(moving))]
    cols += [moving, n_opt + local[where[moving]]]
    vals += [np.ones(len(moving)), -np.ones(len(moving))]
    lower.append(np.full(len(moving), -np.inf)); upper.append(np.zeros(len(moving))); r += len(moving)  # noqa: E702
    # A buddied student who stays keeps a circle: y[home] + sum x >= 1.
    stayers = np.flatnonzero(was_buddied)
    rows += [r + np.searchsorted(stayers, who[was_buddied[who]]), r + np.arange(len(stayers))]
    cols += [np.flatnonzero(was_buddied[who]), n_opt + local[home[stayers]]]
    vals += [np.ones(int(was_buddied[who].sum())), np.ones(len(stayers))]
    lower.append(np.ones(len(stayers))); upper.append(np.full(len(stayers), np.inf)); r += len(stayers)  # noqa: E702
    y_low = staying_buddied[touched].astype(float)
    matrix = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(r, n_opt + n_d))
    answer = milp(
        np.concatenate([-gain, np.zeros(n_d)]),
        integrality=np.ones(n_opt + n_d),
        bounds=Bounds(np.concatenate([np.zeros(n_opt), y_low]), np.ones(n_opt + n_d)),
        constraints=LinearConstraint(matrix, np.concatenate(lower), np.concatenate(upper)),
        options={"time_limit": time_limit, "mip_rel_gap": 0.0},
    )
    if answer.x is None or answer.status != 0:
        return {"pareto_optimal": None, "pareto_improvable": None}
    chosen = answer.x[:n_opt] > 0.5
    return {"pareto_optimal": not chosen.any(), "pareto_improvable": int(chosen.sum())}


def _explain(problem: _Problem, result: MatchResult, solved: _Solved, *, deadline: float) -> dict[str, dict]:
    """A reason (`REASONS`) for every student not on their first choice, unassigned ones included."""
    m = problem.min_size
    assignments, circles = result.assignments, result.circles
    size = {d: len(members) for d, members in circles.items()}
    interested: dict[str, int] = {}
    for lst in problem.lists:
        for d in lst:
            interested[d] = interested.get(d, 0) + 1
    position = {s: i for i, s in enumerate(problem.students)}
    for s, d in problem.locks.items():
        if d not in problem.lists[position[s]]:
            interested[d] = interested.get(d, 0) + 1
    alone = set(result.alone)
    out: dict[str, dict] = {}

    def entry(rank, reason, template, *datasets):
        # `detail` names the datasets by id; `template` has {0}, {1}, ... where they stand (ids in `datasets`).
        return {"rank": rank, "reason": reason, "detail": template.format(*datasets), "template": template,
                "datasets": list(datasets)}

    for student in problem.unranked:
        d = assignments[student]
        if d is not None:
            out[student] = entry(None, "unranked", "You did not rank any dataset; you were placed on {0}, "
                                                   "where a circle needed you or had room.", d)
        elif problem.place_unranked:
            out[student] = entry(None, "unranked_no_room",
                                 "You did not rank any dataset, and no circle had room left for you.")
        else:
            out[student] = entry(None, "unranked_no_room",
                                 "You did not rank any dataset; rank some so the matcher can place you.")
    waiting = []
    for i, student in enumerate(problem.students):
        d = assignments[student]
        lst = problem.lists[i]
        rank = lst.index(d) + 1 if d in lst else None
        if rank == 1:
            continue
        first = lst[0] if lst else None
        if student in problem.instructor_locks:
            out[student] = entry(rank, "locked", "Your instructor placed you on {0}.", d)
        elif student in problem.previous and d == problem.previous[student]:
            out[student] = entry(rank, "previous", "You keep {0}, your dataset in the published matching.", d)
        elif not lst:
            out[student] = entry(None, "empty_list", "You did not rank any dataset.")
        elif d is None:
            out[student] = entry(None, "no_room", "Every dataset on your list is already full.")
        elif result.related.get(student) == d:
            out[student] = entry(None, "related_circle", "Nobody else could share a dataset from your list, so you "
                                                         "joined {0}, the circle most similar to your choices.", d)
        elif student in alone:
            if problem.max_size is not None and size.get(first, 0) == problem.max_size:
                out[student] = entry(rank, "first_choice_full", "Your first choice, {0}, is full: it has the "
                                                                f"maximum of {problem.max_size} students.", first)
            else:
                out[student] = entry(rank, "higher_choices_taken", "Your higher choices were full and nobody could "
                                                                   "share a dataset with you; you have {0}.", d)
        else:
            waiting.append((i, student, rank, first))
    priced: dict = {}  # component -> its LP's value and reduced costs
    for position, (i, student, rank, first) in enumerate(waiting):
        full = problem.max_size is not None and size.get(first, 0) == problem.max_size
        too_few = interested.get(first, 0) + problem.helpers < m
        if too_few and rank == 2:
            out[student] = entry(rank, "first_choice_too_few", "Too few classmates ranked your first choice, "
                                                               f"{{0}}, to form a circle of {m}.", first)
            continue
        left = deadline - time.perf_counter()
        # Each counterfactual gets an even share of the time left (slow ones cannot starve the rest).
        share = left / (len(waiting) - position)
        outcome = None if left <= 0 else _counterfactual(problem, solved, i, rank, share, priced, deadline)
        if full:
            tail = "" if outcome is None or outcome[0] is None else " " + _tail(outcome, problem.objective)
            out[student] = entry(rank, "first_choice_full", "Your first choice, {0}, is full: it has the "
                                                            f"maximum of {problem.max_size} students.{tail}", first)
        elif outcome is None:
            out[student] = entry(rank, "not_computed", "The matcher ran out of time before working out why.")
        elif outcome[0] == "no_better_circle" and too_few:
            out[student] = entry(rank, "first_choice_too_few", "Too few classmates ranked your first choice, "
                                                               f"{{0}}, to form a circle of {m}, and your other "
                                                               "higher choices cannot form one either.", first)
        else:
            out[student] = entry(rank, outcome[0], _tail(outcome, problem.objective))
    return dict(sorted(out.items()))


def _tail(outcome: tuple[str, int], objective: str) -> str:
    """A counterfactual's sentence: it names no dataset and has no braces (it is part of an explanation's template)."""
    code, count = outcome
    if code == "no_better_circle":
        return "None of your higher choices can form a circle with the others' choices and limits."
    if code == "others_alone":
        return (f"Giving you a higher choice would leave at least {count} classmate{'s' if count != 1 else ''} "
                "without a circle.")
    unit = "place" if objective == "rank" else "squared place"
    if code == "others_lower":
        return (f"Giving you a higher choice would move your classmates down their lists by at least {count} "
                f"{unit}{'s' if count != 1 else ''} in total.")
    if code == "others_worse":
        return (f"Giving you a higher choice would leave a classmate without a circle or move your classmates "
                f"down their lists by at least {count} {unit}{'s' if count != 1 else ''} in total.")
    return "This matching is not proven best: a higher choice for you may be possible."


def _weight(sub: _Sub) -> float:
    """W of `_model`: one more than the most the free students can cost."""
    worst = np.zeros(sub.n, dtype=np.int64)
    np.maximum.at(worst, sub.es, sub.cost)
    return float(worst.sum() + sub.fixed_cost.sum() + 1)


def _counterfactual(
    problem: _Problem, solved: _Solved, i: int, rank: int | None, share: float, priced: dict, deadline: float
):
    """The best matching of student i's component with i buddied on a higher choice, against the actual one.

    Returns (code, count) or None when out of time: "no_better_circle" (none
    exists), "others_alone" (count: at least this many classmates lose their
    circle), "others_lower" (with as many buddied, the others lose at least
    count ranks in total), "others_worse" (one of the two, from the component's
    LP prices), "unproven" (the actual matching was not optimal).
    The counterfactual gets `share` seconds (the pricing LP, shared by the
    component, whatever is left until `deadline`); when it runs out, HiGHS's
    dual bound still proves "at least" counts, or nothing (None).
    """
    if i not in solved.group_of:
        return ("no_better_circle", 0)
    m = problem.min_size
    key = solved.group_of[i]
    if ("model", key) not in priced:  # the component's model and actual solution, once for all its students
        edges = solved.groups[key]
        lock_only = np.flatnonzero((problem.locked_count > 0) & (problem.cap >= m)) if problem.helpers else None
        sub = _sub(problem, edges, solved, extra=lock_only)
        edges = np.sort(edges)
        base = np.array([solved.buddied_at.get(int(s)) == int(d) for s, d in zip(solved.es[edges], solved.ed[edges])],
                        dtype=bool)
        helpers = None
        if sub.helpers:
            helpers = np.array([solved.helpers_at.get(int(d), 0) for d in sub.datasets], dtype=np.int64)
        b0, _ = _evaluate(sub, base, m, helpers)
        starts = np.searchsorted(sub.es, np.arange(sub.n + 1))  # edges come grouped by student
        priced[("model", key)] = (sub, base, b0, starts, int(sub.cost[base].sum()), _weight(sub))
    sub, base, b0, starts, base_cost, weight_here = priced[("model", key)]
    costs = sub.cost
    limit = rank if rank is not None else len(problem.lists[i]) + 1
    local = int(np.searchsorted(sub.students, i))
    own = np.arange(starts[local], starts[local + 1])
    better = own[costs[own] < problem.cost(limit)]
    if not len(better):
        return ("no_better_circle", 0)
    others0 = base_cost - int(costs[own][base[own]].sum())

    def claim(z: float, weight: float):
        """The claim a lower bound z on C - W*B of every counterfactual proves, or None."""
        most_buddied = math.floor((weight - 1 - z) / weight + 1e-9)
        if most_buddied < b0:
            return ("others_alone", b0 - most_buddied)
        # With as many buddied: C >= z + W*b0, of which the student pays at most their cost one choice up.
        least_others = math.ceil(z + weight * b0 - 1e-6) - problem.cost(limit - 1)
        if least_others > others0:
            return ("others_lower", least_others - others0)
        return None

    # Beyond a class, one LP per component prices every student's counterfactual (`_reduced_costs`);
    # its bound cannot tell a lost circle from lost ranks unless the circle is certain ("others_worse").
    if sub.n > _PRICE_ABOVE and key not in priced:
        priced[key] = _reduced_costs(sub, m=m, time_limit=deadline - time.perf_counter())  # one LP for all
    if priced.get(key) is not None:
        value, reduced, _ = priced[key]
        found = claim(value + float(reduced[better].min()) - 1e-7, weight_here)
        if found is not None:
            return found if found[0] == "others_alone" else ("others_worse", found[1])
    keep = np.ones(len(sub.es), dtype=bool)
    keep[own] = costs[own] < problem.cost(limit)
    old_of = np.flatnonzero(keep)
    sub2 = _Sub(
        students=sub.students, datasets=sub.datasets, es=sub.es[keep], ed=sub.ed[keep], cost=sub.cost[keep],
        cap=sub.cap, fixed=sub.fixed, fixed_cost=sub.fixed_cost,
        stay=None if sub.stay is None else sub.stay[keep], move=None if sub.move is None else sub.move[keep],
        anchor=sub.anchor, must=np.arange(sub.n) == local, max_moves=sub.max_moves, helpers=sub.helpers,
    )
    if sub2.anchor is not None:
        # A previous student whose stay edge was cut (the one forced higher) has no home row.
        has_stay = np.zeros(sub.n, dtype=bool)
        has_stay[sub2.es[sub2.stay]] = True
        sub2.anchor = np.where(has_stay, sub2.anchor, -1)
    for attempt in ("relaxation", "milp"):
        answer = _milp(sub2, m=m, time_limit=share, bound_only=True, relaxation_only=attempt == "relaxation")
        if answer is None:
            return None
        if answer.infeasible:
            return ("no_better_circle", 0)
        if answer.chosen is not None and answer.proven:
            b1, _ = _evaluate(sub2, answer.chosen, m, answer.helpers)
            others1 = int(costs[old_of[answer.chosen & (sub2.es != local)]].sum())
            if b1 < b0:
                return ("others_alone", b0 - b1)
            if b1 == b0 and others1 > others0:
                return ("others_lower", others1 - others0)
            return ("unproven", 0)
        # A bound z on C - W*B: B <= (W - 1 - z) / W, and with as many buddied C >= z + W*b0.
        if np.isfinite(answer.dual_bound):
            found = claim(answer.dual_bound, answer.weight)
            if found is not None:
                return found
    return None
