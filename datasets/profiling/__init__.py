"""The profiling engine: plain pandas / scikit-learn, no Django.

The worker, the `profile_dataset` command and the tests all call the same
three functions: `detect_format` on an upload's first bytes, `load_table` on
the stored file and `profile_frame` on the table; `notebook_write` (in
datasets.profiling.notebook: it needs nbclient) writes and executes the
starter notebook of a profile.

The names below are loaded on first use, so a light module of the engine
(`jsonable`, `csvsafe`) is imported without pandas or scikit-learn.
"""
import importlib

# Part of the job de-duplication key: bump it when results would change.
# 2: issue 12 (types, target checks, new warnings, column details, spreads, log-loss curve, estimator).
# 3: issue 12's speed (3 folds from 1,000 rows, 40 trees, 63-bin boosting, k-NN on 5,000 rows).
ENGINE_VERSION = "3"

_EXPORTS = {
    "DEFAULT_TIME_BUDGET": "datasets.profiling.profile",
    "LoadedTable": "datasets.profiling.loading",
    "ProfileError": "datasets.profiling.errors",
    "detect_format": "datasets.profiling.loading",
    "load_table": "datasets.profiling.loading",
    "profile_frame": "datasets.profiling.profile",
}

__all__ = ["ENGINE_VERSION", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
