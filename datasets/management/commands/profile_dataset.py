"""Profile a data file from the command line: the same engine calls as the worker."""
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Profile a CSV, XLSX or Parquet file: column types, warnings and quick baseline classifiers."
    # The command reads a file and prints: no database, URLs or templates. Django's system checks import
    # every URLconf and view (about a second of a profile's start-up) and check nothing it uses.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--target", default=None, help="The column to predict (default: proposed by the profiler).")
        parser.add_argument("--time-budget", type=float, default=None, help="Seconds for the baselines (default 20).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of a text summary.")
        parser.add_argument("--notebook", type=Path, default=None, metavar="OUT.ipynb",
                            help="Also write the executed starter notebook there, with a copy of the data file beside it.")
        parser.add_argument("--notebook-timeout", type=float, default=None,
                            help="Seconds a notebook cell may run (default 300).")

    def handle(self, *args, **options):
        from datasets.profiling import DEFAULT_TIME_BUDGET, ProfileError, load_table, profile_frame
        from datasets.profiling.notebook import DEFAULT_TIMEOUT, notebook_write

        path: Path = options["file"]
        try:
            if not path.is_file():
                raise ProfileError("not_found", f"No such file: {path}")
            loaded = load_table(path)
            profile = profile_frame(
                loaded.frame,
                target=options["target"],
                load_info=loaded,
                time_budget=options["time_budget"] or DEFAULT_TIME_BUDGET,
            )
            if options["notebook"] is not None:
                profile["notebook"] = notebook_write(
                    profile, path, options["notebook"], timeout=options["notebook_timeout"] or DEFAULT_TIMEOUT
                )
        except ProfileError as error:
            if options["json"]:
                self.stdout.write(json.dumps({"error": error.as_dict()}, ensure_ascii=False))
            # CommandError prints "CommandError: …"; the contract is one "error:" line and exit 1.
            self.stderr.write(f"error: {error.message}", ending="\n")
            sys.exit(1)
        if options["json"]:
            self.stdout.write(json.dumps(profile, allow_nan=False, ensure_ascii=False))
        else:
            self.stdout.write(summary_text(profile))


def summary_text(profile: dict) -> str:
    """The profile as a few readable lines for a terminal."""
    load = profile.get("load") or {}
    lines = [
        f"{profile['rows']:,} rows × {profile['columns']} columns"
        + (f"  (read as {load['format']}, {load.get('encoding') or 'binary'}, delimiter {load.get('delimiter')})" if load else ""),
        f"target: {profile['target']}{' (proposed: ' + profile['target_reason'] + ')' if profile.get('target_proposed') else ''}"
        f"  task: {profile['task']}",
        "classes: " + ", ".join(f"{label} {count:,}" for label, count in profile["classes"].items()),
        "columns: " + ", ".join(f"{name} ({kind})" for name, kind in profile["column_types"].items()),
    ]
    if profile["warnings"]:
        lines.append("warnings:")
        lines += [f"  [{w['code']}] {w['message']}" for w in profile["warnings"]]
    if profile["baselines"]:
        lines.append(f"baselines ({profile['cv_folds']}-fold stratified cross-validation):")
        lines.append(f"  {'model':<30} {'accuracy':>9} {'bal. acc.':>9} {'macro F1':>9} {'log loss':>9} {'fit s':>7} {'rows':>8}")
        for b in profile["baselines"]:
            cells = [b["accuracy"], b["balanced_accuracy"], b["f1_macro"], b["log_loss"]]
            text = " ".join(f"{value:9.3f}" if value is not None else f"{'—':>9}" for value in cells)
            lines.append(f"  {b['model']:<30} {text} {b['fit_seconds']:7.2f} {b['rows']:8,}")
        lines.append(f"best model: {profile['best_model']}")
    notebook = profile.get("notebook")
    if notebook:
        lines.append(f"notebook: {notebook['path']} (executed, baseline balanced accuracy "
                     f"{notebook['baseline_balanced_accuracy']:.3f}"
                     f"{'' if notebook.get('matches_profile') else ' — differs from the profile'})")
    lines.append(f"took {profile['seconds']:.1f} s")
    return "\n".join(lines)
