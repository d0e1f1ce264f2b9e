"""Fitting the baselines on both cores: a forked copy shares the work, with identical results.

The work is a list of independent fits (each fold of each baseline, then
the learning curve's points), cheapest first. This process takes them from
the cheap end and the copy from the expensive end, each claiming the next
one under a lock in shared memory, until they meet: the two cores stay busy
whatever each fit costs on this table and however busy the machine is, and a
fit's numbers do not depend on who made it (same data, same seeds).
"""
import mmap
import multiprocessing
import os
import pickle
import signal
import struct
import threading
import time
from collections.abc import Callable

from datasets.profiling import baselines as bl
from datasets.profiling.errors import ProfileError

# From this many cells (rows × features) on, the fits are shared with a forked copy on the second core.
PARALLEL_FROM_CELLS = 20_000
# Seconds to wait for the lock on the list of fits (it is held for microseconds).
LOCK_TIMEOUT = 10.0
# Cheapest first, as measured on iris, digits, 10k × 22 and a 756 × 753 table (one core): the dummy and
# naive Bayes take milliseconds, logistic regression and k-nearest neighbours tenths of a second, the
# tree, the network, the forest and boosting the seconds.
COST_ORDER = ("Majority class (dummy)", "Naive Bayes", "Logistic regression", "k-nearest neighbours",
              "Decision tree", "Neural network (MLP)", "Random forest", bl.GRADIENT_BOOSTING)


def run_baselines(design, n_classes, weighted, has_features, step, deadline):
    """Every model on its own row cap, fold by fold, shared between both cores when worth it.

    Each fold of each model is one fit: the cheap models' folds first, the
    expensive ones' last, so this process starts on the cheap models and the
    copy on the expensive ones, and the folds of the model they meet on are
    shared. A model not started by the deadline is skipped; a later fold is
    not started after it (two finished folds still give a result, fewer none).
    The copy reports no progress (it must not touch the caller's database
    connection) and ends with os._exit. Returns (outcomes in the order of
    bl.MODELS, names skipped, failures).
    """
    specs = list(bl.MODELS if has_features else bl.MODELS[:1])
    ordered = sorted(specs, key=lambda spec: COST_ORDER.index(spec.name) if spec.name in COST_ORDER else len(COST_ORDER))
    plans, failed = {}, {}
    for spec in ordered:
        try:
            plans[spec.name] = bl.plan_model(spec, design, spec.rows(design), n_classes,
                                             weighted=weighted and spec.weighted_when_imbalanced)
        except (ValueError, ArithmeticError, MemoryError) as error:
            failed[spec.name] = f"{spec.name} ({error})"
    fits = [(spec, fold) for spec in ordered if spec.name in plans for fold in range(plans[spec.name].folds)]

    def fit(item, here):
        spec, fold = item
        index = specs.index(spec)
        if here and step is not None and fold == 0:  # this process takes the list from its start: the fraction grows
            step(0.12 + 0.75 * ordered.index(spec) / len(specs), f"fitting {spec.name}")
        # The dummy always runs (it is instant): every profile has a floor to compare with.
        if index and (time.perf_counter() > deadline if fold == 0 else not bl.fold_due(deadline, fold)):
            return None
        try:
            return bl.fit_fold(plans[spec.name], design, fold)
        except (ValueError, ArithmeticError, MemoryError) as error:
            # One baseline failing on odd data must not cost the student the whole profile.
            return f"{spec.name} ({error})"

    results = dict(zip(((spec.name, fold) for spec, fold in fits), shared_map(fits, fit, two_cores(design, len(fits)))))
    outcomes, skipped = [], []
    for spec in specs:
        if spec.name in failed:
            continue
        plan = plans[spec.name]
        fitted = [results[spec.name, fold] for fold in range(plan.folds)]
        errors = [result for result in fitted if isinstance(result, str)]
        if errors:
            failed[spec.name] = errors[0]
            continue
        done = next((fold for fold, result in enumerate(fitted) if result is None), plan.folds)
        outcome = bl.outcome_of(plan, design, fitted[:done])  # the first folds, in order
        if outcome is None:
            skipped.append(spec.name)
        else:
            outcomes.append(outcome)
    return outcomes, skipped, [failed[spec.name] for spec in specs if spec.name in failed]


def two_cores(design, fits: int) -> bool:
    """Whether to share `fits` fits on this design with a forked copy: a second core is free and it is worth it."""
    cells = len(design.y) * max(1, design.X.shape[1])
    return fits >= 2 and cells >= PARALLEL_FROM_CELLS and _cores() >= 2 and threading.active_count() == 1


def shared_map(items: list, work: Callable[[object, bool], object], parallel: bool) -> list:
    """[work(item, here) for item in items], the last ones fitted by a forked copy when `parallel`.

    `here` is False in the copy. When the copy dies (out of memory?), this
    process does what it left undone.
    """
    if not parallel or len(items) < 2:
        return [work(item, True) for item in items]
    try:
        ends = _Ends(len(items))
    except OSError:  # no shared semaphores here (e.g. no /dev/shm): one core
        return [work(item, True) for item in items]
    child = _forked(lambda: {index: work(items[index], False) for index in iter(ends.take_last, None)})
    if child is None:
        return [work(item, True) for item in items]
    try:
        done = {index: work(items[index], True) for index in iter(ends.take_first, None)}
        theirs = child.result()
    finally:
        child.close()
    done.update(theirs or {})
    return [done[index] if index in done else work(item, True) for index, item in enumerate(items)]


class _Ends:
    """The next unclaimed item from either end of a list, shared with a forked copy (a lock and two counters)."""

    def __init__(self, count: int):
        self.memory = mmap.mmap(-1, 16)  # anonymous and shared: the fork sees the same two numbers
        self.memory[:16] = struct.pack("qq", 0, count)
        self.lock = multiprocessing.Lock()

    def _take(self, first: bool) -> int | None:
        # A copy killed while holding the lock never releases it: stop taking; what is left is done after.
        if not self.lock.acquire(timeout=LOCK_TIMEOUT):
            return None
        try:
            low, high = struct.unpack("qq", self.memory[:16])
            if low >= high:
                return None
            index = low if first else high - 1
            self.memory[:16] = struct.pack("qq", low + 1, high) if first else struct.pack("qq", low, high - 1)
            return index
        finally:
            self.lock.release()

    def take_first(self) -> int | None:
        return self._take(True)

    def take_last(self) -> int | None:
        return self._take(False)


def _cores() -> int:
    setting = os.environ.get("COURSEPROJ_PROFILE_CORES")
    if setting:
        return max(1, int(setting))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class _Child:
    """A forked copy computing one function; its pickled result comes back through a pipe."""

    def __init__(self, pid: int, reader: int):
        self.pid, self.reader = pid, reader
        self.done = False

    def result(self):
        chunks = []
        with os.fdopen(self.reader, "rb", closefd=False) as pipe:
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        os.waitpid(self.pid, 0)
        self.done = True
        try:
            kind, value = pickle.loads(b"".join(chunks))
        except Exception:  # the copy died before it wrote anything
            return None
        if kind == "error":
            raise value
        return value

    def close(self):
        if not self.done:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.done = True
        try:
            os.close(self.reader)
        except OSError:
            pass


def _forked(work) -> _Child | None:
    """Run `work()` in a forked copy of this process; None where fork is unavailable."""
    if not hasattr(os, "fork"):
        return None
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:  # the copy: compute, write, leave without running the parent's exit handlers
        status = 0
        try:
            os.close(reader)
            try:
                payload = pickle.dumps(("ok", work()))
            except BaseException as error:  # noqa: BLE001 - the parent re-raises it
                payload = pickle.dumps(("error", error if isinstance(error, ProfileError) else RuntimeError(repr(error))))
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(writer)
    return _Child(pid, reader)


