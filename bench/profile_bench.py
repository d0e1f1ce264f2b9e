#!/usr/bin/env python3
"""Benchmark the profiling engine against the tools a student would otherwise use.

    .venv/bin/python bench/profile_bench.py            # all tables (tens of minutes)
    .venv/bin/python bench/profile_bench.py --quick    # the five small built-in tables
    .venv/bin/python bench/profile_bench.py --tables iris synth_10k --repeat 5
    .venv/bin/python bench/profile_bench.py --tables synth_10k digits wide_752 --anchors skrub lazypredict_5fold
    .venv/bin/python bench/profile_bench.py --corpus   # real tables against plain scikit-learn
    .venv/bin/python bench/profile_bench.py --tables digits --no-anchors --compare-root /tmp/wt_old

For each table (written as CSV under bench/out/tables/), in the same run:

- ours: `manage.py profile_dataset FILE --target T --json` as a whole process
  (Python start-up and imports included), median over --repeat runs;
- lazypredict, 5-fold (one LazyClassifier per stratified fold, each model's
  balanced accuracy averaged over the folds) and hold-out (one 75/25 split);
- skrub's tabular_pipeline (TableVectorizer + histogram gradient boosting)
  with 5-fold cross_validate;
- ydata-profiling in minimal mode (a profile, no models).

`--compare-root DIR` also times another checkout's engine (e.g. a `git
worktree` of the last commit), its runs alternating with ours, and prints the
ratio of the medians, wall-clock and CPU: on a shared, busy machine the
absolute times are inflated but the ratio holds.

The anchors run in a separate virtualenv, bench/out/anchors-venv, created on
first use (`pip install lazypredict skrub ydata-profiling`), so their
dependencies never touch the project's. Each anchor run is one process with a
timeout, killed (with its children) when it overruns and reported as
"timeout". Time and peak memory come from /usr/bin/time, per process.

This file is also the anchors' runner: the anchors' Python runs it with
`--anchor NAME FILE TARGET`, so it imports only the standard library at the top.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
TABLES = OUT / "tables"
ANCHORS_VENV = OUT / "anchors-venv"
ANCHOR_PACKAGES = ["lazypredict", "skrub", "ydata-profiling"]
ANCHORS = ("lazypredict_5fold", "lazypredict_holdout", "skrub", "ydata_minimal")
SEED = 0

BUILTIN_TABLES = {"iris": "species", "wine": "cultivar", "breast_cancer": "diagnosis", "digits": "digit", "penguins": "species"}
# name: (rows, columns including the target, classes)
SYNTHETIC_TABLES = {"synth_10k": (10_000, 22, 2), "synth_100k": (100_000, 50, 3), "synth_1m": (1_000_000, 20, 2)}
# Like the Parkinson's speech table: 756 rows, 752 measured (fractional) features, binary 75/25 target.
WIDE_TABLES = {"wide_752": (756, 752)}
BARS = {"iris": 5, "wine": 5, "breast_cancer": 5, "digits": 5, "penguins": 5,
        "synth_10k": 10, "synth_100k": 30, "synth_1m": 60, "wide_752": 15}
PEAK_MEMORY_BAR_MB = 1024


# --- tables ---------------------------------------------------------------------


def synthetic(rows: int, columns: int, classes: int, seed: int = SEED):
    """A fixed-seed table with numbers, categories, missing values and a non-linear target.

    1. Numbers: standard normals, every third one correlated with its neighbour.
    2. Categories (a fifth of the features): skewed frequencies, 3 to 30 levels.
    3. Score: a linear part on six numbers, an interaction, a sine, effects
       of two categories, and Gaussian noise (so no model is perfect).
    4. Classes: cut the score at quantiles (binary 70/30; three classes 50/30/20).
    5. 5% of the cells of every third number and of one category are blanked.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_features = columns - 1
    n_cat = max(2, n_features // 5)
    n_num = n_features - n_cat
    numbers = rng.normal(size=(rows, n_num))
    numbers[:, 1::3] += 0.6 * numbers[:, 0 : n_num - 1 : 3][:, : numbers[:, 1::3].shape[1]]
    frame = pd.DataFrame(np.round(numbers, 3), columns=[f"num_{i:02d}" for i in range(n_num)])
    score = numbers[:, :6] @ np.array([1.0, -0.8, 0.6, 0.5, -0.4, 0.3])
    score += 0.8 * numbers[:, 0] * numbers[:, 1] + np.sin(2 * numbers[:, 2])
    levels = [3, 5, 8, 12, 30]
    for j in range(n_cat):
        k = levels[j % len(levels)]
        probs = 1 / np.arange(1, k + 1)
        codes = rng.choice(k, size=rows, p=probs / probs.sum())
        if j < 2:
            score += rng.normal(scale=0.7, size=k)[codes]
        frame[f"cat_{j:02d}"] = np.array([f"{chr(97 + j % 26)}{c}" for c in range(k)], dtype=object)[codes]
    score += rng.normal(scale=1.0, size=rows)
    cuts = np.quantile(score, [0.7] if classes == 2 else [0.5, 0.8])
    names = np.array(["no", "yes"] if classes == 2 else ["low", "mid", "high"], dtype=object)
    for name in list(frame.columns[2::3]) + ["cat_00"]:
        frame.loc[rng.random(rows) < 0.05, name] = None
    frame["label"] = names[np.searchsorted(cuts, score)]
    return frame


def wide(rows: int, features: int, seed: int = SEED):
    """Many correlated measurements with fractional values (nearly all distinct), 30 of them informative."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(rows, 40))
    mixing = rng.normal(size=(40, features)) / np.sqrt(40)
    values = latent @ mixing + 0.5 * rng.normal(size=(rows, features))
    score = latent[:, :6] @ np.array([1.0, -0.8, 0.6, 0.5, -0.4, 0.3]) + rng.normal(scale=1.0, size=rows)
    frame = pd.DataFrame(np.round(values * rng.uniform(0.01, 1000, size=features), 6),
                         columns=[f"feature_{i:03d}" for i in range(features)])
    frame.insert(0, "id", np.repeat(np.arange(rows // 3 + 1), 3)[:rows])  # three recordings per person
    frame["class"] = (score > np.quantile(score, 0.25)).astype(int)
    return frame


def ensure_table(name: str) -> tuple[Path, str]:
    """Write the table's CSV once (bench/out is git-ignored); return (path, target)."""
    TABLES.mkdir(parents=True, exist_ok=True)
    path = TABLES / f"{name}.csv"
    if name in BUILTIN_TABLES:
        if not path.exists():
            sys.path.insert(0, str(ROOT))
            from datasets.builtins import load_builtin

            load_builtin(name).to_csv(path, index=False)
        return path, BUILTIN_TABLES[name]
    if name in WIDE_TABLES:
        if not path.exists():
            wide(*WIDE_TABLES[name]).to_csv(path, index=False)
        return path, "class"
    if not path.exists():
        rows, columns, classes = SYNTHETIC_TABLES[name]
        synthetic(rows, columns, classes).to_csv(path, index=False)
    return path, "label"


# --- measuring processes ----------------------------------------------------------


def measured(command: list[str], timeout: float, env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run one process under /usr/bin/time: seconds, CPU seconds, peak RSS (MB), stdout; "timeout" if it overran."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        started = time.perf_counter()
        process = subprocess.Popen(
            ["/usr/bin/time", "-f", "%e %M %U %S", "-o", stats.name, *command],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            env={**os.environ, **(env or {})}, cwd=cwd,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the process group we started, children included
            process.communicate()
            return {"status": "timeout", "seconds": time.perf_counter() - started}
        fields = stats.read().split()
    if process.returncode != 0:
        return {"status": "failed", "error": (stderr or stdout).strip().splitlines()[-1:] or ["?"]}
    return {"status": "ok", "seconds": float(fields[-4]), "peak_mb": int(fields[-3]) / 1024,
            "cpu_seconds": float(fields[-2]) + float(fields[-1]), "stdout": stdout}


def run_ours(path: Path, target: str, repeat: int, timeout: float, app_root: Path, other: Path | None = None,
             budget: float | None = None) -> dict:
    """Our engine's summary over `repeat` runs; with `other`, that checkout's runs alternate with ours."""
    runs, other_runs = [], []
    for _ in range(repeat):
        for root, into in ((app_root, runs), (other, other_runs)):
            if root is None:
                continue
            run = _run_engine(root, path, target, timeout, budget)
            if run["status"] != "ok":
                return run
            into.append(run)
    result = _summary(runs)
    if other_runs:
        result["compared"] = {"root": str(other), **_summary(other_runs)}
    return result


def _run_engine(root: Path, path: Path, target: str, timeout: float, budget: float | None) -> dict:
    # Another checkout (e.g. a worktree of the last commit) runs with this venv, not its own;
    # no first-run bootstrap either (it would pip-install when pyproject.toml changed).
    extra = ["--time-budget", str(budget)] if budget else []
    return measured([str(ROOT / ".venv" / "bin" / "python"), str(root / "manage.py"), "profile_dataset",
                     str(path), "--target", target, "--json", *extra], timeout, {"COURSEPROJ_NO_BOOTSTRAP": "1"}, cwd=root)


def _summary(runs: list[dict]) -> dict:
    profile = json.loads(runs[-1]["stdout"])
    best = max((b for b in profile["baselines"] if b["model"] != "Majority class (dummy)"),
               key=lambda b: b["balanced_accuracy"])
    return {
        "status": "ok",
        "seconds": statistics.median(run["seconds"] for run in runs),
        "all_seconds": [run["seconds"] for run in runs],
        "cpu_seconds": statistics.median(run["cpu_seconds"] for run in runs),
        "peak_mb": max(run["peak_mb"] for run in runs),
        "best": best["balanced_accuracy"],
        "model": best["model"],
        "sampled_rows": profile["sampled_rows"],
        "skipped": [w["message"] for w in profile["warnings"] if w["code"] == "time_budget"],
    }


def ensure_anchors_venv() -> Path:
    python = ANCHORS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ANCHORS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *ANCHOR_PACKAGES], check=True)
    return python


def run_anchor(python: Path, anchor: str, path: Path, target: str, timeout: float) -> dict:
    # The anchors get both cores, as they would on a student's laptop.
    run = measured([str(python), __file__, "--anchor", anchor, str(path), target], timeout)
    if run["status"] == "ok":
        result = json.loads(run["stdout"].strip().splitlines()[-1])
        run.update(result)
        del run["stdout"]
    return run


# --- the anchors (run inside the anchors' virtualenv) --------------------------------


def anchor_main(anchor: str, path: str, target: str) -> None:
    """Run one anchor on one CSV; print {"best": balanced accuracy or null, "model": …} last."""
    import warnings

    import pandas as pd

    warnings.filterwarnings("ignore")
    frame = pd.read_csv(path)
    frame = frame[frame[target].notna()]
    X, y = frame.drop(columns=[target]), frame[target].astype(str)
    if anchor == "ydata_minimal":
        from ydata_profiling import ProfileReport

        ProfileReport(frame, minimal=True, progress_bar=False).to_json()
        print(json.dumps({"best": None, "model": None}))
        return
    from sklearn.model_selection import StratifiedKFold, cross_validate, train_test_split

    if anchor == "skrub":
        import skrub

        # tabular_learner was renamed tabular_pipeline in skrub 0.6.
        learner = getattr(skrub, "tabular_pipeline", None) or skrub.tabular_learner
        scores = cross_validate(learner("classifier"), X, y, scoring="balanced_accuracy",
                                cv=StratifiedKFold(5, shuffle=True, random_state=SEED))
        print(json.dumps({"best": float(scores["test_score"].mean()), "model": "tabular_pipeline (HGB)"}))
        return
    from lazypredict.Supervised import LazyClassifier

    if anchor == "lazypredict_holdout":
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=SEED)
        models, _ = LazyClassifier(verbose=0, ignore_warnings=True, random_state=SEED).fit(X_train, X_test, y_train, y_test)
        column = models["Balanced Accuracy"]
    else:
        per_fold = []
        for train, test in StratifiedKFold(5, shuffle=True, random_state=SEED).split(X, y):
            models, _ = LazyClassifier(verbose=0, ignore_warnings=True, random_state=SEED).fit(
                X.iloc[train], X.iloc[test], y.iloc[train], y.iloc[test]
            )
            per_fold.append(models["Balanced Accuracy"])
        column = pd.concat(per_fold, axis=1).dropna().mean(axis=1)
    print(json.dumps({"best": float(column.max()), "model": str(column.idxmax())}))


# --- the corpus of real tables (issue 12) ------------------------------------------


def corpus_main() -> None:
    """Plain scikit-learn (LR / RF / HGB defaults, 5-fold stratified CV) against our profile, per real table.

    Writes the plain numbers to tests/profiling/plain_reference.json, which the
    corpus test reads (recomputing them there would take minutes).
    """
    sys.path.insert(0, str(ROOT))
    import warnings

    warnings.filterwarnings("ignore")
    from datasets.profiling import corpus, profile_frame

    reference, rows = {}, []
    for name in corpus.available():
        frame, target = corpus.load(name)
        started = time.perf_counter()
        plain = corpus.plain_reference(frame, target)
        plain_seconds = time.perf_counter() - started
        started = time.perf_counter()
        profile = profile_frame(frame, target=target, time_budget=120)
        seconds = time.perf_counter() - started
        best = max((b for b in profile["baselines"] if b["model"] != "Majority class (dummy)"),
                   key=lambda b: b["balanced_accuracy"])
        reference[name] = {"plain": {model: round(value, 4) for model, value in plain.items()}}
        rows.append((name, frame.shape, best, max(plain.values()), max(plain, key=plain.get), seconds, plain_seconds))
        print(f"{name}: ours {best['balanced_accuracy']:.3f} plain {max(plain.values()):.3f}", flush=True)
    (ROOT / "tests" / "profiling" / "plain_reference.json").write_text(json.dumps(reference, indent=1, sort_keys=True) + "\n")
    print()
    print("| table | rows × columns | ours: best (model) | plain scikit-learn: best (model) | Δ | ours s | plain s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, shape, best, plain, plain_model, seconds, plain_seconds in rows:
        print(f"| {name} | {shape[0]:,} × {shape[1]} | {best['balanced_accuracy']:.3f} ({best['model']}) | "
              f"{plain:.3f} ({plain_model}) | {best['balanced_accuracy'] - plain:+.3f} | {seconds:.1f} | {plain_seconds:.1f} |")


# --- report --------------------------------------------------------------------------


def cell(result: dict | None, key: str, fmt: str) -> str:
    if result is None:
        return "—"
    if result["status"] != "ok":
        return result["status"]
    value = result.get(key)
    return "n/a" if value is None else format(value, fmt)


def print_report(results: dict) -> None:
    tools = ["ours", *ANCHORS]
    print()
    print(f"{'table':<14}{'tool':<29}{'time s':>9}{'peak MB':>9}{'best bal.acc':>13}{'ours faster':>12}{'Δ bal.acc':>10}")
    for table, by_tool in results.items():
        ours = by_tool["ours"]
        for tool in tools:
            result = by_tool.get(tool)
            if result is None:
                continue
            ratio = delta = ""
            if tool != "ours" and ours["status"] == "ok" and result["status"] == "ok":
                ratio = f"×{result['seconds'] / ours['seconds']:.1f}"
                if result.get("best") is not None:
                    delta = f"{ours['best'] - result['best']:+.3f}"
            elif tool != "ours" and result["status"] == "timeout":
                ratio = f">×{result['seconds'] / ours['seconds']:.0f}" if ours["status"] == "ok" else ""
            label = tool + (" (reused)" if result.get("reused") else "")
            print(f"{table if tool == 'ours' else '':<14}{label:<29}{cell(result, 'seconds', '.1f'):>9}"
                  f"{cell(result, 'peak_mb', '.0f'):>9}{cell(result, 'best', '.3f'):>13}{ratio:>12}{delta:>10}")
    print()
    print("Bars (whole process, median): ≤ 5 s up to 2k rows, ≤ 10 s at 10k×22, ≤ 30 s at 100k×50, ≤ 60 s at 1M×20;")
    print(f"peak memory ≤ {PEAK_MEMORY_BAR_MB} MB; best balanced accuracy ≥ best cross-validated anchor − 0.01.")
    for table, by_tool in results.items():
        ours = by_tool["ours"]
        if ours["status"] != "ok":
            print(f"  {table}: ours {ours['status']}")
            continue
        anchors = [by_tool[t]["best"] for t in ("lazypredict_5fold", "skrub")
                   if by_tool.get(t, {}).get("status") == "ok" and by_tool[t].get("best") is not None]
        best_anchor = max(anchors) if anchors else None
        checks = [
            f"time {ours['seconds']:.1f} s {'OK' if ours['seconds'] <= BARS[table] else 'OVER'} (bar {BARS[table]} s; runs {ours['all_seconds']})",
            f"memory {ours['peak_mb']:.0f} MB {'OK' if ours['peak_mb'] <= PEAK_MEMORY_BAR_MB else 'OVER'}",
        ]
        if best_anchor is not None:
            checks.append(f"accuracy {ours['best']:.3f} vs {best_anchor:.3f} "
                          f"{'OK' if ours['best'] >= best_anchor - 0.01 else 'BELOW'}")
        skrub = by_tool.get("skrub", {})
        if skrub.get("status") == "ok" and skrub.get("best") is not None:
            checks.append(f"vs skrub: ×{skrub['seconds'] / ours['seconds']:.2f} faster "
                          f"{'OK' if ours['seconds'] < skrub['seconds'] else 'SLOWER'}, "
                          f"bal.acc {ours['best']:.3f} vs {skrub['best']:.3f} "
                          f"{'OK' if ours['best'] >= skrub['best'] else 'BELOW'}")
        lazy = by_tool.get("lazypredict_5fold", {})
        if lazy.get("status") in ("ok", "timeout"):
            ratio = lazy["seconds"] / ours["seconds"]
            checks.append(f"vs lazypredict 5-fold: {'>' if lazy['status'] == 'timeout' else ''}×{ratio:.1f} "
                          f"{'OK' if ratio >= 5 else 'UNDER ×5'}")
        if ours.get("sampled_rows"):
            checks.append(f"sampled (smallest model sample {ours['sampled_rows']:,} rows)")
        if ours.get("skipped"):
            checks.append("; ".join(ours["skipped"]))
        print(f"  {table}: " + "; ".join(checks))
    compared = {table: by_tool["ours"] for table, by_tool in results.items() if by_tool["ours"].get("compared")}
    if compared:
        print()
        print("Against the other checkout, runs alternating (median wall s / CPU s; ratio = ours / theirs):")
        for table, ours in compared.items():
            other = ours["compared"]
            print(f"  {table}: ours {ours['seconds']:.2f} / {ours['cpu_seconds']:.2f} (runs {ours['all_seconds']}), "
                  f"{other['root']} {other['seconds']:.2f} / {other['cpu_seconds']:.2f} (runs {other['all_seconds']}); "
                  f"ratio wall {ours['seconds'] / other['seconds']:.2f}, CPU {ours['cpu_seconds'] / other['cpu_seconds']:.2f}; "
                  f"best bal.acc {ours['best']:.3f} vs {other['best']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the five small built-in tables")
    parser.add_argument("--tables", nargs="*", help="a subset of tables by name")
    parser.add_argument("--repeat", type=int, default=3, help="runs of our engine per table (median reported)")
    parser.add_argument("--anchor-timeout", type=float, default=600)
    parser.add_argument("--no-anchors", action="store_true")
    parser.add_argument("--reuse-anchors", action="store_true",
                        help="take anchor results from the last run's bench/out/profile_bench.json when present")
    parser.add_argument("--app-root", type=lambda p: Path(p).resolve(), default=ROOT,
                        help="the checkout whose manage.py runs ours (default: this one)")
    parser.add_argument("--compare-root", type=lambda p: Path(p).resolve(), default=None,
                        help="also time this checkout's engine, alternating with ours, and print the ratio")
    parser.add_argument("--time-budget", type=float, default=None,
                        help="our engine's --time-budget (default its own, 20 s): a large one keeps a busy "
                             "machine from skipping models, so that a comparison compares the same work")
    parser.add_argument("--anchors", nargs="*", choices=ANCHORS, default=list(ANCHORS),
                        help="which anchors to run (default: all)")
    parser.add_argument("--corpus", action="store_true",
                        help="real tables against plain scikit-learn; rewrites tests/profiling/plain_reference.json")
    parser.add_argument("--anchor", nargs=3, metavar=("NAME", "FILE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.anchor:
        anchor_main(*args.anchor)
        return
    if args.corpus:
        corpus_main()
        return
    names = args.tables or (list(BUILTIN_TABLES) if args.quick else [*BUILTIN_TABLES, *SYNTHETIC_TABLES, *WIDE_TABLES])
    python = None if args.no_anchors else ensure_anchors_venv()
    saved = OUT / "profile_bench.json"
    stored = json.loads(saved.read_text()) if saved.exists() else {}
    previous = stored if args.reuse_anchors else {}
    results: dict[str, dict] = {}
    for name in names:
        path, target = ensure_table(name)
        print(f"{name}: ours …", flush=True)
        results[name] = {"ours": run_ours(path, target, args.repeat, timeout=600, app_root=args.app_root,
                                          other=args.compare_root, budget=args.time_budget)}
        for anchor in () if python is None else args.anchors:
            if anchor in previous.get(name, {}):
                results[name][anchor] = {**previous[name][anchor], "reused": True}
                continue
            print(f"{name}: {anchor} …", flush=True)
            results[name][anchor] = run_anchor(python, anchor, path, target, args.anchor_timeout)
        # Merged table by table: a run of some tables or tools (e.g. --no-anchors) keeps the others' last results.
        stored[name] = {**{k: v for k, v in stored.get(name, {}).items() if k not in results[name]}, **results[name]}
        saved.write_text(json.dumps(stored, indent=2, default=str))
    print_report(results)


if __name__ == "__main__":
    main()
