"""Reads of datasets and their profiles that other apps share."""


def baseline_to_beat(result: dict | None) -> dict | None:
    """The baseline a student's model must beat: the scores of the profile's best model.

    One definition for every page (report, circle, plan, dashboard): the model
    the profiler named best, else the one with the best balanced accuracy.
    Returns that model's row of scores (model, balanced_accuracy, accuracy,
    f1_macro, log_loss, ...) or None when the profile has no scored baseline.
    """
    baselines = [b for b in (result or {}).get("baselines") or [] if b.get("balanced_accuracy") is not None]
    if not baselines:
        return None
    best = (result or {}).get("best_model")
    return next((b for b in baselines if b.get("model") == best), None) or max(
        baselines, key=lambda b: b["balanced_accuracy"]
    )
