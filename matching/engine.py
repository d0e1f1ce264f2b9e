"""The matcher: one dataset per student so that nobody works alone where the lists allow it.

Plain Python on NumPy/SciPy (no Django): the views, the `match` command and the
benchmark call `match()` with ranked lists and get a `MatchResult` back.

Formulation
-----------
Data: students s with a ranked list L_s (rank r(s, d) = 1 for the first choice),
cost c(s, d) = r(s, d) (objective "rank") or r(s, d)^2 ("squared", which spreads
the pain: two second choices beat a first and a third); minimum m; capacity u_d
(`capacities`, else `max_size`, else unlimited; raised to k_d when the instructor
locked more); k_d students locked on d by the instructor.

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
with a relative gap of 0, so "optimal" means proven optimal for both stages. One
solve instead of two because stage 2 would repeat stage 1's work with an extra
constraint.

Only y is declared integer: once y is fixed, (1)-(2) describe a transportation
problem with integer bounds, whose vertices are integral, so the simplex returns
integral x. The result is checked; a fractional x is re-solved with x integer.

Students who are not buddied are "alone": they keep a dataset from their own list
(the highest one with room) or, with a `similarity`, join the open circle most
similar to their picks. They are reported, never dropped.

Scale
-----
The student-dataset graph is split into connected components after removing
datasets that can never open (fewer than m interested students counting locks,
or a capacity below m). Components up to `exact_limit` students are solved
exactly, packed into batches (a block-diagonal MILP is the same as separate
ones, minus the per-call overhead). A larger component gets `_heuristic`: the
exact min-cost flow of the model without the minimum, repaired, then improved
by re-solving neighbourhoods exactly. Its result is compared with two bounds,
the flow (for the buddied count) and a Lagrangian as strong as the LP of
(1)-(3) (for the cost), and reported as proven when it meets them.

Determinism: students and datasets are sorted before any model is built, HiGHS
is deterministic for an identical model, every greedy step breaks ties by rank
and then by name, and every loop has a fixed number of rounds. Only a run cut
short by `time_limit` can differ.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components, dijkstra, maximum_flow

OBJECTIVES = ("rank", "squared")
# Components up to this many students go to HiGHS whole. Measured here: a
# 20,000-student component solves to proven optimality in about 4 s; a
# 40,000-student one in 13 s, so beyond this the heuristic is the better bet.
EXACT_LIMIT = 20_000
# Students re-optimised together in one step of the heuristic: a sub-MILP of
# this size solves in well under a second.
_NEIGHBOURHOOD = 5_000
_MAX_ROUNDS = 50
_LAGRANGIAN_ITERATIONS = 300


@dataclass(frozen=True)
class MatchResult:
    """What a run produced. `quality` is described in `match`."""

    assignments: dict[str, str | None]
    circles: dict[str, list[str]]
    alone: list[str]
    related: dict[str, str]
    quality: dict

    def to_dict(self) -> dict:
        """The `match --json` shape: plain dicts, lists, str, int, float, bool and None."""
        return {
            "assignments": dict(self.assignments),
            "circles": {d: list(members) for d, members in self.circles.items()},
            "alone": list(self.alone),
            "related": dict(self.related),
            "quality": _json_safe(self.quality),
        }


def match(
    rankings: Mapping[str, Sequence[str]],
    *,
    min_size: int = 2,
    max_size: int | None = None,
    capacities: Mapping[str, int] | None = None,
    locks: Mapping[str, str] | None = None,
    objective: str = "rank",
    similarity: Callable[[str, str], float] | None = None,
    place_related: bool = True,
    time_limit: float = 30.0,
    exact_limit: int = EXACT_LIMIT,
) -> MatchResult:
    """Assign every student one dataset (see the module docstring for the model).

    Arguments: `rankings` maps a student to datasets in rank order (a repeated
    dataset keeps its best rank; keys and names are used as strings).
    `capacities` gives per-dataset maximums and wins over `max_size`. `locks`
    fixes students on datasets (even one not on their list, or a student absent
    from `rankings`); a lock counts toward sizes and is never broken. With
    `similarity(a, b) -> [0, 1]`, a student who cannot be buddied joins the open
    circle with room that is most similar (score > 0) to a dataset on their list;
    with `place_related=False` that circle is only suggested in `related`.

    Steps:
      1. Normalise and validate the input (`_Problem`).
      2. Prune datasets that can never open and split the rest into components.
      3. Solve components exactly in batches (HiGHS), large ones heuristically.
      4. Place students who are not buddied (`_place_alone`).
      5. Audit the result and compute the quality numbers.

    `quality` keys: students; buddied and buddy_rate (on their own list or
    locked, in a circle of at least min_size); achievable_buddy_rate (the
    proven stage-1 optimum, or an upper bound where `optimal` is false);
    mean_rank (students on their own list, alone or not); rank_profile
    ({"1": n, ...} plus "off_list" and "unassigned"); cost (stage-2 objective:
    sum of ranks or squared ranks of buddied, unlocked students); bound
    ({"buddied", "cost"}: the proven values or relaxation bounds); unassigned
    (sorted list of students with no dataset: an empty list and no lock, or
    every dataset on their list at its maximum); alone, related, locked
    (counts); violations (0 unless something is wrong) and violation_details;
    optimal; gap (0 when proven, else the larger of the buddied and cost gaps
    to the bound); method ("exact", "heuristic" or "mixed"); components;
    objective; min_size; max_size; warnings; seconds. Rates are None for an
    empty class.
    """
    started = time.perf_counter()
    if time_limit <= 0:
        raise ValueError("time_limit must be positive")
    if exact_limit < 1:
        raise ValueError("exact_limit must be at least 1")
    problem = _Problem.build(
        rankings, min_size=min_size, max_size=max_size, capacities=capacities, locks=locks, objective=objective
    )
    solved = _solve(problem, deadline=started + time_limit, exact_limit=exact_limit)
    assignments, related = _place_alone(problem, solved.buddied_at, similarity=similarity, place_related=place_related)
    return _result(problem, assignments, related, solved, started=started)


def first_choice_result(rankings: Mapping[str, Sequence[str]], *, min_size: int = 2) -> MatchResult:
    """The comparison the instructor sees: everyone simply gets their first choice (no maximum)."""
    started = time.perf_counter()
    problem = _Problem.build(rankings, min_size=min_size, max_size=None, capacities=None, locks=None, objective="rank")
    assignments = {s: (lst[0] if lst else None) for s, lst in zip(problem.students, problem.lists)}
    solved = _Solved(buddied_at={}, method="first_choice", components=0, proven=False)
    return _result(problem, assignments, {}, solved, started=started)


# --- input -----------------------------------------------------------------


@dataclass
class _Problem:
    students: list[str]  # sorted
    lists: list[tuple[str, ...]]  # per student, deduplicated, rank order
    datasets: list[str]  # sorted: every listed or locked dataset
    dataset_index: dict[str, int]
    locks: dict[str, str]
    cap: np.ndarray  # per dataset, raised to the number locked
    locked_count: np.ndarray  # per dataset
    min_size: int
    max_size: int | None
    objective: str
    warnings: list[str]

    @classmethod
    def build(cls, rankings, *, min_size, max_size, capacities, locks, objective) -> "_Problem":
        if not isinstance(min_size, int) or min_size < 1:
            raise ValueError("min_size must be a whole number of at least 1")
        if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
            raise ValueError("max_size must be a whole number of at least 1")
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
        capacities = {str(d): c for d, c in (capacities or {}).items()}
        if any(not isinstance(c, int) or c < 0 for c in capacities.values()):
            raise ValueError("capacities must be whole numbers of at least 0")
        locks = {str(s): str(d) for s, d in (locks or {}).items()}
        by_student = {str(s): tuple(dict.fromkeys(str(d) for d in lst)) for s, lst in rankings.items()}
        students = sorted(set(by_student) | set(locks))
        lists = [by_student.get(s, ()) for s in students]
        datasets = sorted({d for lst in lists for d in lst} | set(locks.values()))
        index = {d: i for i, d in enumerate(datasets)}
        unlimited = max(len(students), 1)
        cap = np.array(
            [capacities.get(d, max_size if max_size is not None else unlimited) for d in datasets], dtype=np.int64
        )
        locked_count = np.zeros(len(datasets), dtype=np.int64)
        for d in locks.values():
            locked_count[index[d]] += 1
        warnings = []
        if max_size is not None and max_size < min_size:
            warnings.append(f"The maximum ({max_size}) is below the minimum ({min_size}): no circle can open.")
        for i in np.flatnonzero(locked_count > cap):
            warnings.append(f"{locked_count[i]} students are locked on {datasets[i]}, above its maximum of {cap[i]}.")
        return cls(
            students=students,
            lists=lists,
            datasets=datasets,
            dataset_index=index,
            locks=locks,
            cap=np.maximum(cap, locked_count),
            locked_count=locked_count,
            min_size=min_size,
            max_size=max_size,
            objective=objective,
            warnings=warnings,
        )

    def cost(self, rank: int) -> int:
        return rank * rank if self.objective == "squared" else rank


# --- solving ---------------------------------------------------------------


@dataclass
class _Sub:
    """One (sub)problem for the solver, with local indices.

    `fixed[d]` students sit on dataset d whatever happens (locks, and in the
    heuristic the students outside the neighbourhood): they are buddied if d
    opens, and `fixed_cost[d]` is what they add to the cost then.
    """

    students: np.ndarray  # global student index per local student
    datasets: np.ndarray  # global dataset index per local dataset
    es: np.ndarray  # edge -> local student
    ed: np.ndarray  # edge -> local dataset
    cost: np.ndarray  # edge -> cost
    cap: np.ndarray  # local dataset -> room for the free students
    fixed: np.ndarray
    fixed_cost: np.ndarray

    @property
    def n(self) -> int:
        return len(self.students)


@dataclass
class _Outcome:
    """A solved _Sub: the edges used, whether that is proven optimal, and bounds (see `_outcome`)."""

    chosen: np.ndarray  # bool per edge
    proven: bool
    bound_buddied: int  # including fixed students
    bound_cost: int


@dataclass
class _Solved:
    buddied_at: dict[int, int]  # global student index -> dataset index (stage-1 buddied, unlocked)
    method: str
    components: int
    proven: bool
    bound_buddied: int = 0
    bound_cost: int = 0


def _solve(problem: _Problem, *, deadline: float, exact_limit: int) -> _Solved:
    """Steps 2-3 of `match`.

    1. Edges of unlocked students, keeping datasets that can open: at least m
       interested students counting locks, a capacity of at least m, and room
       left after the locks.
    2. Connected components of the student-dataset graph.
    3. Components up to `exact_limit` students: batched exact MILPs; larger
       ones: the heuristic. Datasets reached only by locks open when the locks
       alone reach m.
    """
    m = problem.min_size
    n_datasets = len(problem.datasets)
    free = [i for i, s in enumerate(problem.students) if s not in problem.locks]
    es, ed, rank = [], [], []
    for i in free:
        for r, d in enumerate(problem.lists[i], start=1):
            es.append(i)
            ed.append(problem.dataset_index[d])
            rank.append(r)
    es, ed, rank = np.array(es, dtype=np.int64), np.array(ed, dtype=np.int64), np.array(rank, dtype=np.int64)
    potential = np.bincount(ed, minlength=n_datasets) + problem.locked_count
    room = problem.cap - problem.locked_count
    can_open = (potential >= m) & (problem.cap >= m)
    keep = can_open[ed] & (room[ed] > 0)
    es, ed, rank = es[keep], ed[keep], rank[keep]
    cost = rank * rank if problem.objective == "squared" else rank

    solved = _Solved(buddied_at={}, method="exact", components=0, proven=True)
    covered = np.zeros(n_datasets, dtype=bool)
    if len(es):
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
        solved.components = len(groups)
        sizes = [int(students_in[edge_label[g[0]]]) for g in groups]
        small = [(g, size) for g, size in zip(groups, sizes) if size <= exact_limit]
        large = [g for g, size in zip(groups, sizes) if size > exact_limit]
        for batch in _batches(small, exact_limit):
            _absorb(solved, _exact(_sub(problem, batch, es, ed, cost), m=m, deadline=deadline))
        for g in large:
            _absorb(solved, _heuristic(_sub(problem, g, es, ed, cost), m=m, deadline=deadline))
        if large:
            solved.method = "mixed" if small else "heuristic"
        covered[ed] = True
    # Locks on a dataset no free student can join: buddied when the locks alone reach m.
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


def _sub(problem: _Problem, edges: np.ndarray, es: np.ndarray, ed: np.ndarray, cost: np.ndarray) -> _Sub:
    # Edges grouped by student, each student's in rank order (the heuristic relies on it).
    edges = np.sort(edges)
    students, local_s = np.unique(es[edges], return_inverse=True)
    datasets, local_d = np.unique(ed[edges], return_inverse=True)
    locked = problem.locked_count[datasets]
    return _Sub(
        students=students,
        datasets=datasets,
        es=local_s,
        ed=local_d,
        cost=cost[edges],
        cap=problem.cap[datasets] - locked,
        fixed=locked,
        fixed_cost=np.zeros(len(datasets), dtype=np.int64),
    )


def _absorb(solved: _Solved, part: tuple[_Sub, "_Outcome"]) -> None:
    sub, outcome = part
    for e in np.flatnonzero(outcome.chosen):
        solved.buddied_at[int(sub.students[sub.es[e]])] = int(sub.datasets[sub.ed[e]])
    solved.proven &= outcome.proven
    solved.bound_buddied += outcome.bound_buddied
    solved.bound_cost += outcome.bound_cost


def _evaluate(sub: _Sub, chosen: np.ndarray, m: int) -> tuple[int, int]:
    """(buddied, cost) of a choice of edges, counting fixed students on open datasets."""
    count = np.bincount(sub.ed[chosen], minlength=len(sub.datasets))
    is_open = count + sub.fixed >= m
    buddied = int(chosen.sum() + sub.fixed[is_open].sum())
    return buddied, int(sub.cost[chosen].sum() + sub.fixed_cost[is_open].sum())


def _exact(sub: _Sub, *, m: int, deadline: float) -> tuple[_Sub, _Outcome]:
    answer = _milp(sub, m=m, time_limit=deadline - time.perf_counter())
    if answer is None:  # out of time before HiGHS found anything
        return _heuristic(sub, m=m, deadline=deadline)
    buddied, cost = _evaluate(sub, answer.chosen, m)
    if answer.proven:
        return sub, _Outcome(answer.chosen, True, buddied, cost)
    # Stopped by the time limit. HiGHS's dual bound z on C - W*B still bounds
    # both stages: B <= (W - 1 - z) / W since C < W, and C >= z + W*B.
    weight, dual = answer.weight, answer.dual_bound
    known = (math.floor((weight - 1 - dual) / weight + 1e-9), math.ceil(dual + weight * buddied - 1e-6))
    return sub, _outcome(sub, answer.chosen, m=m, flow=_min_cost_flow(sub), deadline=deadline, known=known)


def _outcome(
    sub: _Sub, chosen: np.ndarray, *, m: int, flow: "_Flow", deadline: float, known: tuple[int, int] | None = None
) -> _Outcome:
    """An outcome not proven by the MILP, with its bounds; proven after all if it meets them.

    The buddied bound is the relaxation without the minimum (`_min_cost_flow`),
    counting locked students as buddied. The cost bound is for any solution
    that buddies as many students: the better of that relaxation and the
    Lagrangian of the full model (`_lagrangian_bound`). `known` adds bounds
    the solver proved (buddied, cost).
    """
    buddied, cost = _evaluate(sub, chosen, m)
    bound_buddied = max(buddied, flow.value + int(sub.fixed.sum()))
    need = min(flow.value, max(0, buddied - int(sub.fixed.sum())))
    bound_cost = flow.least_cost(need)
    if known is not None:
        bound_buddied = max(buddied, min(bound_buddied, known[0]))
        bound_cost = max(bound_cost, known[1])
    if bound_cost < cost:
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
    chosen: np.ndarray  # bool per edge
    proven: bool
    weight: float  # W
    dual_bound: float  # HiGHS's lower bound on C - W*B


def _milp(sub: _Sub, *, m: int, time_limit: float) -> _Answer | None:
    """Solve the weighted MILP of the module docstring; None if no solution in time.

    Columns: one x per edge, then one y per dataset. Rows: (1) per student,
    (2) lower and upper per dataset, (3) per edge.
    """
    if time_limit <= 0:
        return None
    n, n_edges, n_datasets = sub.n, len(sub.es), len(sub.datasets)
    worst = np.zeros(n, dtype=np.int64)
    np.maximum.at(worst, sub.es, sub.cost)
    weight = float(worst.sum() + sub.fixed_cost.sum() + 1)
    c = np.concatenate([sub.cost - weight, sub.fixed_cost - weight * sub.fixed])
    edges = np.arange(n_edges)
    y = n_edges + np.arange(n_datasets)
    ones = np.ones(n_edges)
    rows = np.concatenate([
        sub.es,  # (1)
        n + sub.ed, n + np.arange(n_datasets),  # (2) lower: sum x + (k - m) y >= 0
        n + n_datasets + sub.ed, n + n_datasets + np.arange(n_datasets),  # (2) upper: sum x - u y <= 0
        n + 2 * n_datasets + edges, n + 2 * n_datasets + edges,  # (3) x - y <= 0
    ])
    cols = np.concatenate([edges, edges, y, edges, y, edges, n_edges + sub.ed])
    vals = np.concatenate([ones, ones, sub.fixed - m, ones, -sub.cap, ones, -ones])
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(n + 2 * n_datasets + n_edges, n_edges + n_datasets))
    lower = np.concatenate([np.full(n, -np.inf), np.zeros(n_datasets), np.full(n_datasets + n_edges, -np.inf)])
    upper = np.concatenate([np.ones(n), np.full(n_datasets, np.inf), np.zeros(n_datasets + n_edges)])
    integrality = np.concatenate([np.zeros(n_edges), np.ones(n_datasets)])
    result = milp(
        c,
        integrality=integrality,
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(matrix, lower, upper),
        options={"time_limit": time_limit, "mip_rel_gap": 0.0},
    )
    if result.x is None:
        return None
    x = result.x[:n_edges]
    if np.abs(x - np.round(x)).max(initial=0.0) > 1e-6:
        # A vertex would be integral (see the module docstring); a solver
        # heuristic may still hand back an interior point. Redo it with x integer.
        fixed_y = np.round(result.x[n_edges:])
        result = milp(
            c,
            integrality=np.ones(n_edges + n_datasets),
            bounds=Bounds(np.zeros(n_edges + n_datasets), np.concatenate([np.ones(n_edges), fixed_y])),
            constraints=LinearConstraint(matrix, lower, upper),
            options={"time_limit": max(time_limit, 1.0), "mip_rel_gap": 0.0},
        )
        x = result.x[:n_edges]
    return _Answer(x > 0.5, result.status == 0, weight, float(result.mip_dual_bound))


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


def _place_alone(
    problem: _Problem, buddied_at: dict[int, int], *, similarity, place_related: bool
) -> tuple[dict[str, str | None], dict[str, str]]:
    """Step 4 of `match`: a dataset for every student who is not buddied.

    In name order, each such student (locks aside) takes:
      1. an open dataset with room from their own list (the heuristic may leave one);
      2. with a similarity, the open circle with room most similar to their picks
         (recorded in `related`; joined only with place_related);
      3. the highest dataset on their list with room, open or not;
      4. nothing (unassigned) when every dataset on their list is full.
    """
    m = problem.min_size
    index = problem.dataset_index
    count = problem.locked_count.copy()
    for d in buddied_at.values():
        count[d] += 1
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
                if place_related:
                    choice = best[2]
        if choice is None and with_room:
            choice = with_room[0]
        if choice is not None:
            count[choice] += 1
        assignments[student] = problem.datasets[choice] if choice is not None else None
    return assignments, related


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
    for student in problem.students:
        if assignments[student] is not None:
            circles.setdefault(assignments[student], []).append(student)
    circles = dict(sorted(circles.items()))
    rank_of = [{d: r for r, d in enumerate(lst, start=1)} for lst in problem.lists]
    buddied, alone, unassigned = [], [], []
    profile: dict[str, int] = {}
    ranks, cost = [], 0
    for i, student in enumerate(problem.students):
        dataset = assignments[student]
        if dataset is None:
            unassigned.append(student)
            continue
        rank = rank_of[i].get(dataset)
        locked = student in problem.locks
        if rank is not None:
            ranks.append(rank)
            profile[str(rank)] = profile.get(str(rank), 0) + 1
        if (rank is not None or locked) and len(circles[dataset]) >= m:
            buddied.append(student)
            cost += problem.cost(rank) if not locked else 0
        else:
            alone.append(student)
    top = max((int(r) for r in profile), default=0)
    rank_profile = {str(r): profile.get(str(r), 0) for r in range(1, top + 1)}
    rank_profile["off_list"] = n - len(unassigned) - len(ranks)
    rank_profile["unassigned"] = len(unassigned)
    details = _audit(problem, assignments, circles, related, solved)
    if solved.method == "first_choice":
        achievable, gap, bound = None, None, None
    else:
        bound_buddied = max(solved.bound_buddied, len(buddied))
        bound_cost = min(solved.bound_cost, cost)
        achievable = bound_buddied / n if n else None
        gap = 0.0 if solved.proven else max(
            (bound_buddied - len(buddied)) / bound_buddied if bound_buddied else 0.0,
            (cost - bound_cost) / bound_cost if bound_cost else 0.0,
        )
        bound = {"buddied": bound_buddied, "cost": bound_cost}
    quality = {
        "students": n,
        "buddied": len(buddied),
        "buddy_rate": len(buddied) / n if n else None,
        "achievable_buddy_rate": achievable,
        "mean_rank": sum(ranks) / len(ranks) if ranks else None,
        "rank_profile": rank_profile,
        "cost": cost,
        "bound": bound,
        "unassigned": unassigned,
        "alone": len(alone),
        "related": sum(1 for s in related if assignments[s] == related[s]),
        "locked": len(problem.locks),
        "violations": len(details),
        "violation_details": details,
        "optimal": solved.proven and solved.method != "first_choice",
        "gap": gap,
        "method": solved.method,
        "components": solved.components,
        "objective": problem.objective,
        "min_size": m,
        "max_size": problem.max_size,
        "warnings": list(problem.warnings),
        "seconds": time.perf_counter() - started,
    }
    return MatchResult(assignments=assignments, circles=circles, alone=alone, related=related, quality=quality)


def _audit(problem: _Problem, assignments, circles, related, solved: _Solved) -> list[str]:
    """Check the final assignment against the rules, independently of how it was made."""
    m = problem.min_size
    problems = []
    if sorted(assignments) != problem.students:
        problems.append("Not every student appears exactly once.")
    for dataset, members in circles.items():
        if len(members) > problem.cap[problem.dataset_index[dataset]]:
            problems.append(f"{dataset} holds {len(members)} students, above its maximum.")
    for student, dataset in problem.locks.items():
        if assignments[student] != dataset:
            problems.append(f"The lock of {student} on {dataset} was broken.")
    for i, dataset in solved.buddied_at.items():
        student = problem.students[i]
        if assignments[student] != problem.datasets[dataset] or len(circles[problem.datasets[dataset]]) < m:
            problems.append(f"{student} was matched on {problem.datasets[dataset]}, a circle under the minimum.")
    for i, student in enumerate(problem.students):
        dataset = assignments[student]
        on_list = dataset in problem.lists[i]
        if dataset is not None and not on_list and student not in problem.locks and related.get(student) != dataset:
            problems.append(f"{student} was given {dataset}, which is not on their list.")
    return problems


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 6) if math.isfinite(value) else None
    return value
