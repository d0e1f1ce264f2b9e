"""Fitting the baselines on both cores: a forked copy takes half of the models, with identical results."""
import os
import pickle
import signal
import threading
import time

from datasets.profiling import baselines as bl
from datasets.profiling.errors import ProfileError

# From this many cells (rows × features) on, the models are shared with a forked copy on the second core.
PARALLEL_FROM_CELLS = 20_000


def run_baselines(design, n_classes, weighted, has_features, step, deadline):
    """Every model (cheap first), each on its own row cap; skipped when out of time.

    With two free cores and a table worth it, the models are shared between
    this process and one forked copy of it (see `_forked`): each fits its own
    models on one core, with the same seeds, so the numbers are the same as in
    one process. The copy reports no progress (it must not touch the caller's
    database connection) and ends with os._exit.
    """
    specs = list(bl.MODELS if has_features else bl.MODELS[:1])
    lanes = _lanes(specs, design)
    if len(lanes) == 2:
        here, there = lanes
        child = _forked(lambda: _run_specs(there, specs, design, n_classes, weighted, None, deadline))
        if child is not None:
            try:
                mine = _run_specs(here, specs, design, n_classes, weighted, step, deadline)
                theirs = child.result()
            finally:
                child.close()
            if theirs is not None:
                by_name = {outcome.name: outcome for outcome in mine[0] + theirs[0]}
                outcomes = [by_name[spec.name] for spec in specs if spec.name in by_name]
                skipped = [spec.name for spec in specs if spec.name in mine[1] + theirs[1]]
                return outcomes, skipped, mine[2] + theirs[2]
            # The copy died (out of memory?): fit its models here.
            rest = _run_specs(there, specs, design, n_classes, weighted, step, deadline)
            return _merge(specs, mine, rest)
    return _run_specs(specs, specs, design, n_classes, weighted, step, deadline)


def _merge(specs, first, second):
    by_name = {outcome.name: outcome for outcome in first[0] + second[0]}
    return ([by_name[spec.name] for spec in specs if spec.name in by_name],
            [spec.name for spec in specs if spec.name in first[1] + second[1]], first[2] + second[2])


def _run_specs(lane, specs, design, n_classes, weighted, step, deadline):
    outcomes, skipped, failed = [], [], []
    for spec in lane:
        index = specs.index(spec)
        if step is not None:
            step(0.12 + 0.75 * index / len(specs), f"fitting {spec.name}")
        if time.perf_counter() > deadline and index:
            skipped.append(spec.name)
            continue
        rows = spec.rows(design)
        try:
            # The dummy always runs (it is instant): every profile has a floor to compare with.
            outcome = bl.run_model(
                spec, design, rows, n_classes, weighted=weighted and spec.weighted_when_imbalanced,
                deadline=deadline if index else float("inf"),
            )
        except (ValueError, ArithmeticError, MemoryError) as error:
            # One baseline failing on odd data must not cost the student the whole profile.
            failed.append(f"{spec.name} ({error})")
            continue
        if outcome is None:
            skipped.append(spec.name)
        else:
            outcomes.append(outcome)
    return outcomes, skipped, failed


def _lanes(specs, design) -> list[list]:
    """Two lanes of about equal cost when a second core is free and the table is worth a fork, else one."""
    cells = len(design.y) * max(1, design.X.shape[1])
    if len(specs) < 2 or cells < PARALLEL_FROM_CELLS or _cores() < 2 or threading.active_count() > 1:
        return [specs]
    # Measured costs on 10k × 22 and digits: boosting ≈ network + forest + tree; the rest is small.
    there = {bl.GRADIENT_BOOSTING, "Decision tree"}
    return [[spec for spec in specs if spec.name not in there], [spec for spec in specs if spec.name in there]]


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


