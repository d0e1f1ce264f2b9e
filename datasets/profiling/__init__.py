"""The profiling engine: plain pandas / scikit-learn, no Django.

The worker, the `profile_dataset` command and the tests all call the same
three functions: `detect_format` on an upload's first bytes, `load_table` on
the stored file and `profile_frame` on the table.
"""
from datasets.profiling.errors import ProfileError
from datasets.profiling.loading import LoadedTable, detect_format, load_table
from datasets.profiling.profile import DEFAULT_TIME_BUDGET, profile_frame

# Part of the job de-duplication key: bump it when results would change.
ENGINE_VERSION = "1"

__all__ = [
    "DEFAULT_TIME_BUDGET",
    "ENGINE_VERSION",
    "LoadedTable",
    "ProfileError",
    "detect_format",
    "load_table",
    "profile_frame",
]
