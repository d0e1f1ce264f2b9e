"""Benchmark of the matcher against what courses do without it.

For fixed-seed instances (class sizes to a MOOC, Zipf popularity, maximum sizes,
adversarial shapes) it prints, per instance, our buddy rate, the achievable
rate, mean rank, whether the result is proven optimal, the gap to the bound
and the median time, beside three ways of assigning without a minimum:

- first: everyone gets their first choice (what the instructor sees today);
- pref-only: the best preference-only allocation under capacity, i.e. a
  min-cost flow like Moodle's ratingallocate (our engine with min_size=1);
- fcfs: first-come-first-served sign-up in a random order, each student taking
  their highest choice with room.

Buddy rates are all measured with the instance's minimum; the matcher is timed
without explanations and the fairness check (see the modes). Then it times the
dataset similarity for 40 and 200 datasets.

The modes of issue 13 at 30, 300 and 5,000 students (`modes()`), each timed
whole (solve, placing, Pareto check, explanations): the plain run; a roster
with 10 % who never ranked, placed; a re-run after publishing with 5 % late
joiners and 0 or 5 moves; 5 % of students solo by choice; the Pareto check and
the explanations timed apart.

    .venv/bin/python bench/match_bench.py            # everything (a few minutes)
    .venv/bin/python bench/match_bench.py --quick    # up to 5,000 students
    .venv/bin/python bench/match_bench.py --modes    # only the issue-13 modes
"""
import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.engine import first_choice_result, match  # noqa: E402
from matching.similarity import DatasetFeatures, DatasetSimilarity  # noqa: E402


@dataclass
class Instance:
    name: str
    rankings: dict[str, list[str]]
    options: dict = field(default_factory=dict)

    @property
    def datasets(self) -> int:
        return len({d for lst in self.rankings.values() for d in lst})


def zipf_rankings(students: int, datasets: int, length: int, exponent: float, seed: int) -> dict[str, list[str]]:
    """Lists of `length` distinct datasets drawn by Zipf popularity, most wanted first.

    Draw with replacement in bulk and keep each student's first distinct draws;
    the rare student left short draws again.
    """
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, datasets + 1) ** exponent
    cumulative = np.cumsum(weights / weights.sum())
    names = [f"d{i:05d}" for i in rng.permutation(datasets)]  # popularity is not alphabetical
    length = min(length, datasets)

    def draw(size):
        return np.minimum(np.searchsorted(cumulative, rng.random(size)), datasets - 1)

    rankings = {}
    for i, row in enumerate(draw((students, 4 * length))):
        picks = list(dict.fromkeys(row.tolist()))[:length]
        while len(picks) < length:
            picks = list(dict.fromkeys(picks + draw(4 * length).tolist()))[:length]
        rankings[f"s{i:06d}"] = [names[j] for j in picks]
    return rankings


def disjoint_pairs(students: int) -> dict[str, list[str]]:
    """Pairs of students share a two-dataset list no one else has; an odd student is left over."""
    return {f"s{i:06d}": [f"a{i // 2:05d}", f"b{i // 2:05d}"] for i in range(students)}


def all_disjoint(students: int) -> dict[str, list[str]]:
    """Nobody shares anything: the achievable buddy rate is 0."""
    return {f"s{i:06d}": [f"p{i:05d}x", f"p{i:05d}y", f"p{i:05d}z"] for i in range(students)}


def mega_popular(students: int, seed: int) -> dict[str, list[str]]:
    """Everyone's first choice is the same dataset (which has a tight maximum)."""
    return {s: ["viral"] + lst[:3] for s, lst in zipf_rankings(students, 80, 3, 1.0, seed).items()}


def singletons(students: int, seed: int) -> dict[str, list[str]]:
    """Two in five students list only datasets nobody else lists."""
    rankings = zipf_rankings(students, students // 5, 4, 1.0, seed)
    for i, student in enumerate(sorted(rankings)):
        if i % 5 < 2:
            rankings[student] = [f"own{i:05d}{k}" for k in "abc"]
    return rankings


def instances(quick: bool) -> list[Instance]:
    """Class instances have more datasets than a third of the students (a catalog plus proposals)."""
    found = [
        Instance("class-30", zipf_rankings(30, 40, 3, 0.8, 1)),
        Instance("class-100 max6", zipf_rankings(100, 80, 4, 0.8, 2), {"max_size": 6}),
        Instance("class-300 min3 max8", zipf_rankings(300, 150, 5, 0.8, 3), {"min_size": 3, "max_size": 8}),
        Instance("class-500", zipf_rankings(500, 200, 5, 0.8, 4)),
        Instance("class-500 max6", zipf_rankings(500, 200, 5, 0.8, 4), {"max_size": 6}),
        Instance("class-500 squared", zipf_rankings(500, 200, 5, 0.8, 4), {"objective": "squared"}),
        Instance("mooc-5000", zipf_rankings(5000, 2000, 5, 0.8, 5)),
        Instance("mooc-5000 max20", zipf_rankings(5000, 1000, 5, 1.0, 6), {"max_size": 20}),
        Instance("adv pairs-501", disjoint_pairs(501)),
        Instance("adv disjoint-500", all_disjoint(500)),
        Instance("adv viral-500 max5", mega_popular(500, 7), {"max_size": 5}),
        Instance("adv singletons-500", singletons(500, 8)),
        Instance("adv longtail-5000 min3", zipf_rankings(5000, 1000, 3, 0.5, 9), {"min_size": 3}),
        # Near-uniform popularity with a minimum of 4: the LP bound is 1.4 % below
        # the optimum (1,013, which HiGHS proves in about 15 minutes), so it runs
        # against a 10 s limit and reports its gap (bench/README.md).
        Instance("adv uniform-500 min4", zipf_rankings(500, 500, 5, 0.3, 10), {"min_size": 4, "time_limit": 10.0}),
    ]
    if not quick:
        found += [
            Instance("mooc-100k", zipf_rankings(100_000, 2000, 5, 1.0, 11), {"time_limit": 60.0}),
            Instance("mooc-100k max60", zipf_rankings(100_000, 2000, 5, 1.0, 12),
                     {"max_size": 60, "time_limit": 60.0}),
            Instance("mooc-100k longtail", zipf_rankings(100_000, 20_000, 5, 0.8, 13), {"time_limit": 60.0}),
            Instance("adv longtail-100k min3", zipf_rankings(100_000, 20_000, 3, 0.5, 14),
                     {"min_size": 3, "time_limit": 60.0}),
        ]
    return found


def evaluate(rankings: dict[str, list[str]], assignments: dict[str, str | None], min_size: int) -> tuple[float, float]:
    """(buddy rate, mean rank) of any assignment, judged with the minimum."""
    count: dict[str, int] = {}
    for dataset in assignments.values():
        if dataset is not None:
            count[dataset] = count.get(dataset, 0) + 1
    buddied = sum(1 for d in assignments.values() if d is not None and count[d] >= min_size)
    ranks = [rankings[s].index(d) + 1 for s, d in assignments.items() if d is not None]
    return buddied / len(rankings), (sum(ranks) / len(ranks) if ranks else float("nan"))


def first_come_first_served(instance: Instance, seed: int = 0) -> dict[str, str | None]:
    maximum = instance.options.get("max_size")
    taken: dict[str, int] = {}
    assignments = {}
    order = sorted(instance.rankings)
    np.random.default_rng(seed).shuffle(order)
    for student in order:
        choice = next((d for d in instance.rankings[student] if maximum is None or taken.get(d, 0) < maximum), None)
        if choice is not None:
            taken[choice] = taken.get(choice, 0) + 1
        assignments[student] = choice
    return assignments


def run(instance: Instance, runs: int) -> dict:
    minimum = instance.options.get("min_size", 2)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = match(instance.rankings, **instance.options, explain=False, fairness=False)
        times.append(time.perf_counter() - started)
    q = result.quality
    preference_only = match(
        instance.rankings, min_size=1, max_size=instance.options.get("max_size"),
        objective=instance.options.get("objective", "rank"), time_limit=instance.options.get("time_limit", 30.0),
        explain=False, fairness=False,
    )
    return {
        "students": q["students"],
        "datasets": instance.datasets,
        "buddy": q["buddy_rate"],
        "achievable": q["achievable_buddy_rate"],
        "mean_rank": q["mean_rank"],
        "optimal": q["optimal"],
        "gap": q["gap"],
        "method": q["method"],
        "violations": q["violations"],
        "seconds": statistics.median(times),
        "first": evaluate(instance.rankings, first_choice_result(instance.rankings, min_size=minimum).assignments,
                          minimum),
        "pref_only": evaluate(instance.rankings, preference_only.assignments, minimum),
        "fcfs": evaluate(instance.rankings, first_come_first_served(instance), minimum),
    }


def modes(runs: int) -> list[dict]:
    """Issue 13's modes, timed whole, at 30, 300 and 5,000 students (class-like Zipf lists, maximum 8)."""
    rows = []
    for students, datasets in ((30, 40), (300, 150), (5000, 2000)):
        rankings = zipf_rankings(students, datasets, 5, 0.8, 21)
        names = sorted(rankings)
        options = {"max_size": 8}
        unranked = names[: students // 10]
        ranked = {s: rankings[s] for s in names[students // 10:]}
        late = set(names[:: 20])  # 5 %
        published = match({s: lst for s, lst in rankings.items() if s not in late}, **options,
                          explain=False, fairness=False).assignments
        previous = {s: d for s, d in published.items() if d is not None}
        solo = [s for s in names[1::20] if rankings[s]]
        cases = [
            ("plain", rankings, {}),
            ("plain, no explanations", rankings, {"explain": False}),
            ("plain, no Pareto check", rankings, {"fairness": False}),
            ("10% unranked, placed", ranked, {"unranked": unranked, "place_unranked": True}),
            ("5% late, 0 moves", rankings, {"previous": previous, "max_moves": 0}),
            ("5% late, 5 moves", rankings, {"previous": previous, "max_moves": 5}),
            ("5% solo", rankings, {"solo": solo}),
        ]
        for label, lists, extra in cases:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                result = match(lists, **options, **extra)
                times.append(time.perf_counter() - started)
            q = result.quality
            reasons = [e["reason"] for e in result.explanations.values()]
            rows.append({
                "students": students, "mode": label, "seconds": statistics.median(times),
                "solve": q["seconds"], "explain": q["explain_seconds"], "buddy": q["buddy_rate"],
                "optimal": q["optimal"], "pareto": q["pareto_optimal"], "moved": q["moved"],
                "placed": q["unranked_placed"], "explained": len(reasons),
                "not_computed": reasons.count("not_computed"), "violations": q["violations"],
            })
    return rows


def print_modes(runs: int) -> None:
    header = (f"{'students':>8} {'mode':<24} | {'median s':>8} {'solve s':>7} {'expl s':>6} | {'buddy':>6} "
              f"{'opt':>4} {'pareto':>6} {'moved':>5} {'placed':>6} {'explained':>9} {'not comp':>8} {'viol':>4}")
    print(header)
    print("-" * len(header))
    for row in modes(runs):
        pareto = {True: "yes", False: "no", None: "-"}[row["pareto"]]
        print(
            f"{row['students']:>8} {row['mode']:<24} | {row['seconds']:>8.3f} {row['solve']:>7.3f} "
            f"{row['explain']:>6.3f} | {row['buddy']:>6.1%} {'yes' if row['optimal'] else 'no':>4} {pareto:>6} "
            f"{row['moved']:>5} {row['placed']:>6} {row['explained']:>9} {row['not_computed']:>8} "
            f"{row['violations']:>4}",
            flush=True,
        )
    print("median s: the whole match() call (median of the runs); solve s and expl s: the last run's solving and")
    print("placing, and its Pareto check plus explanations; explained: students not on their first choice, with")
    print("'not comp' of them left 'not_computed' by the 5 s explanation budget.")
    print()


def similarity_timing(runs: int = 7) -> list[tuple[int, float]]:
    rng = np.random.default_rng(0)
    words = (
        "flower petal species penguin island ecology chemistry wine medicine image pixel digit handwriting "
        "tumour cell weather climate sport finance credit loan fraud text sentiment review movie music audio "
        "speech survey census income housing price energy traffic"
    ).split()
    timings = []
    for size in (40, 200):
        items = [
            DatasetFeatures(
                key=f"d{i}", title=" ".join(rng.choice(words, 3)), description=" ".join(rng.choice(words, 40)),
                tags=list(rng.choice(words, 3)), rows=int(rng.integers(50, 100_000)),
                columns=int(rng.integers(3, 100)), classes=int(rng.integers(2, 20)), numeric_share=float(rng.random()),
            )
            for i in range(size)
        ]
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            DatasetSimilarity.fit(items)
            samples.append(time.perf_counter() - started)
        timings.append((size, statistics.median(samples)))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Skip the 100,000-student instances.")
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per instance (3 at 100,000 students).")
    parser.add_argument("--modes", action="store_true", help="Only the issue-13 modes (unranked, previous, solo).")
    args = parser.parse_args()
    print_modes(max(1, min(args.runs, 3)))
    if args.modes:
        return

    def pct(value):
        return "  -  " if value is None else f"{value:5.1%}"

    header = (
        f"{'instance':<24} {'students':>8} {'sets':>6} | {'buddy':>6} {'achiev':>6} {'rank':>5} {'opt':>4} "
        f"{'gap':>7} {'method':>9} {'viol':>4} {'median s':>8} | {'first':>6} | {'pref-only':>13} | {'fcfs':>13}"
    )
    print(header)
    print("-" * len(header))
    for instance in instances(args.quick):
        row = run(instance, args.runs if len(instance.rankings) < 100_000 else 3)
        print(
            f"{instance.name:<24} {row['students']:>8} {row['datasets']:>6} | {pct(row['buddy']):>6} "
            f"{pct(row['achievable']):>6} {row['mean_rank']:>5.2f} {'yes' if row['optimal'] else 'no':>4} "
            f"{row['gap']:>7.3%} {row['method']:>9} {row['violations']:>4} {row['seconds']:>8.3f} | "
            f"{pct(row['first'][0]):>6} | {pct(row['pref_only'][0]):>6} {row['pref_only'][1]:>5.2f}  | "
            f"{pct(row['fcfs'][0]):>6} {row['fcfs'][1]:>5.2f}",
            flush=True,
        )
    print()
    print("buddy/achiev: share of students in a circle of at least the minimum on their own list (and the most the")
    print("lists allow, or its bound when not proven); rank: mean rank of students on their list; gap: to the bound;")
    print("first: everyone on their first choice, ignoring any maximum; pref-only and fcfs: buddy rate and mean")
    print("rank. Times are medians of the runs.")
    for size, seconds in similarity_timing():
        print(f"DatasetSimilarity.fit for {size} datasets: {seconds * 1000:.1f} ms (median)")


if __name__ == "__main__":
    main()
