"""Plain JSON for both engines' results: numpy only, so the matcher can import it cheaply."""
import math

import numpy as np


def plain_json(value):
    """Numbers as plain finite floats or ints (NaN and Infinity become None), keys as text.

    Results are stored in jsonb columns and printed by the commands, which
    accept neither NaN nor numpy scalars.
    """
    if isinstance(value, dict):
        return {str(key): plain_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(item) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 6) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)
