"""`python manage.py match FILE`: the matcher on ranked preferences collected elsewhere.

    match FILE [--min-size N] [--max-size N] [--objective rank|squared]
               [--roster ROSTER.csv] [--unranked leave|place]
               [--previous ASSIGNMENT.csv] [--max-moves N] [--json]

FILE is a Google Form export or the plain format (id, then datasets in rank
order); `matching/preferences.py` says how its columns, ids and duplicate
submissions are read. `--roster` lists the class: roster students absent from
FILE never ranked; `--unranked leave` (default) lists them in `unranked`,
`--unranked place` places them where they help without costing ranked students
anything. `--previous` (header `student,dataset`, e.g. a published matching)
keeps those students on their dataset; `--max-moves N` (default 0) lets up to N
of them move, each to a dataset on their own list.

`--json` prints one object with exactly the keys `assignments`, `circles`,
`quality`, `warnings`, `unranked`, `moved`, `explanations` (reason codes:
`matching.engine.REASONS`). Errors print `error: ...` on stderr (and
`{"error": {"code", "message"}}` with `--json`) and exit 1; usage mistakes
(`--unranked` without `--roster`, `--max-moves` without `--previous`, a bad
option) exit 2.
"""
import json
import sys

from django.core.management.base import BaseCommand

from matching.preferences import InputError, Preferences, dataset_key, read_preferences, read_previous, read_roster
from matching.preferences import student_key as _student_key

__all__ = ["Command", "InputError", "read_preferences"]

OBJECTIVES = ("rank", "squared")  # matching.engine.OBJECTIVES, without importing SciPy for --help


class Command(BaseCommand):
    help = (
        "Match students to datasets from a CSV of ranked choices (a Google Form export or id,choice1,choice2,...). "
        "See matching/preferences.py for how the file is read."
    )
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # A usage mistake is reported like every other error: one "error:" line.
        parser.error = lambda message: self._fail("usage", message, as_json="--json" in sys.argv, status=2)
        return parser

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file: a form export, or id,choice1,choice2,...")
        parser.add_argument("--min-size", type=int, default=2, help="Fewest students per chosen dataset (default 2).")
        parser.add_argument("--max-size", type=int, default=None, help="Most students per dataset (default: no limit).")
        parser.add_argument("--objective", choices=OBJECTIVES, default="rank",
                            help="rank: fewest total ranks; squared: fewest squared ranks (fairer).")
        parser.add_argument("--roster", default=None, help="CSV of the whole class (header row; an email/id column).")
        parser.add_argument("--unranked", choices=("leave", "place"), default=None,
                            help="Roster students who never ranked: leave them out (default) or place them.")
        parser.add_argument("--previous", default=None, help="CSV student,dataset of a previous (published) matching.")
        parser.add_argument("--max-moves", type=int, default=None,
                            help="How many previous students may move (default 0), each to a dataset on their list.")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print one JSON object.")

    def handle(self, *args, file: str, min_size: int, max_size: int | None, objective: str, roster: str | None,
               unranked: str | None, previous: str | None, max_moves: int | None, as_json: bool, **options):
        if unranked is not None and roster is None:
            self._fail("usage", "--unranked needs --roster (the class list that says who never ranked)",
                       as_json=as_json, status=2)
        if max_moves is not None and previous is None:
            self._fail("usage", "--max-moves needs --previous (the matching whose students may move)",
                       as_json=as_json, status=2)
        if min_size < 1:
            self._fail("invalid_option", "--min-size must be at least 1", as_json=as_json)
        if max_size is not None and max_size < 1:
            self._fail("invalid_option", "--max-size must be at least 1", as_json=as_json)
        if max_moves is not None and max_moves < 0:
            self._fail("invalid_option", "--max-moves must be at least 0", as_json=as_json)
        preferences = self._read(file, read_preferences, as_json=as_json)
        warnings = list(preferences.warnings)
        spelling = {_student_key(s): s for s in preferences.rankings}
        class_list: list[str] = []
        if roster is not None:
            read = self._read(roster, read_roster, as_json=as_json)
            warnings += read.warnings
            on_roster = {_student_key(s) for s in read.students}
            class_list = [spelling.get(_student_key(s), s) for s in read.students]
            outside = [s for s in preferences.rankings if _student_key(s) not in on_roster]
            if outside:
                warnings.append(_listed(outside, "student of the file is not on the roster: kept",
                                        "students of the file are not on the roster: kept"))
        kept: dict[str, str] = {}
        if previous is not None:
            read = self._read(previous, read_previous, as_json=as_json)
            warnings += read.warnings
            kept = _previous(read.assignments, preferences, spelling)
            absent = [s for s in kept if s not in preferences.rankings]
            if absent:
                warnings.append(_listed(absent, "student of the previous matching is not in the file: kept on "
                                        "their dataset", "students of the previous matching are not in the file: "
                                        "kept on their datasets"))
        known = set(spelling) | {_student_key(s) for s in kept}
        unranked_ids = [s for s in class_list if _student_key(s) not in known]

        from matching.engine import match  # SciPy: loaded once the files are known to be usable

        result = match(
            preferences.rankings, min_size=min_size, max_size=max_size, objective=objective,
            unranked=unranked_ids, place_unranked=unranked == "place", previous=kept, max_moves=max_moves or 0,
        )
        data = result.to_dict()
        output = {
            "assignments": data["assignments"],
            "circles": data["circles"],
            "quality": data["quality"],
            "warnings": warnings + data["warnings"],
            "unranked": data["unranked"],
            "moved": data["moved"],
            # The sentence with ids; the engine's template is for the app, which puts titles in it.
            "explanations": {s: {k: why[k] for k in ("rank", "reason", "detail")}
                             for s, why in data["explanations"].items()},
        }
        if as_json:
            self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(_table(output, alone=data["alone"], related=data["related"], names=preferences.names))

    def _read(self, path: str, reader, *, as_json: bool):
        try:
            with open(path, "rb") as handle:
                return reader(handle.read())
        except FileNotFoundError:
            self._fail("not_found", f"{path}: no such file", as_json=as_json)
        except IsADirectoryError:
            self._fail("unreadable", f"{path}: is a directory", as_json=as_json)
        except OSError as error:
            self._fail("unreadable", f"{path}: {error.strerror or error}", as_json=as_json)
        except InputError as error:
            self._fail(error.code, f"{path}: {error.message}", as_json=as_json)

    def _fail(self, code: str, message: str, *, as_json: bool, status: int = 1):
        if as_json:
            self.stdout.write(json.dumps({"error": {"code": code, "message": message}}))
        self.stderr.write(f"error: {message}", style_func=lambda text: text)
        raise SystemExit(status)


def _previous(assignments: dict[str, str], preferences: Preferences, spelling: dict[str, str]) -> dict[str, str]:
    """The previous matching with ids and dataset names spelled as in FILE."""
    datasets = preferences.dataset_spelling
    return {
        spelling.get(_student_key(s), s): datasets.get(dataset_key(d), d) for s, d in assignments.items()
    }


def _listed(students: list[str], one: str, many: str) -> str:
    shown = ", ".join(students[:5]) + (f" and {len(students) - 5} more" if len(students) > 5 else "")
    return f"{len(students)} {one if len(students) == 1 else many} ({shown})."


def _table(output: dict, *, alone: list[str], related: dict[str, str], names: dict[str, str]) -> str:
    """A plain-text report: circles, students alone or without a dataset, reasons, quality, warnings."""
    q = output["quality"]
    limit = q["max_size"] if q["max_size"] is not None else "none"
    lines = [f"Circles (minimum {q['min_size']}, maximum {limit}):"]
    width = max((len(d) for d in output["circles"]), default=0)
    lonely = set(alone)

    def who(s):
        return f"{s} ({names[s]})" if s in names and names[s] != s else s

    for dataset, members in output["circles"].items():
        shown = ", ".join(f"{who(s)}*" if s in lonely else who(s) for s in members)
        lines.append(f"  {dataset:<{width}}  {len(members):>3}  {shown}")
    if not output["circles"]:
        lines.append("  (none)")
    if alone:
        lines.append("* alone: nobody else could share their dataset.")
        for student in alone:
            dataset = output["assignments"][student]
            extra = f" (related circle: {related[student]})" if related.get(student) == dataset else ""
            lines.append(f"  {student}: {dataset}{extra}")
    if q["unassigned"]:
        lines.append(f"Without a dataset (empty list, or every choice full): {', '.join(q['unassigned'])}")
    if output["unranked"]:
        lines.append(f"Never ranked, not placed: {', '.join(output['unranked'])}")
    if q["unranked"]:
        lines.append(f"Never ranked: {q['unranked']}; placed: {q['unranked_placed']}.")
    if q["previous"]:
        moved = ", ".join(output["moved"]) or "nobody"
        lines.append(f"Previous matching: {q['previous']} students; moved (at most {q['max_moves']}): {moved}.")
    if output["explanations"]:
        lines.append("Not on their first choice:")
        for student, why in output["explanations"].items():
            rank = "-" if why["rank"] is None else f"#{why['rank']}"
            lines.append(f"  {student} {rank} [{why['reason']}] {why['detail']}")
    lines.append("")
    lines.append(_summary(q))
    if output["warnings"]:
        lines.append("Warnings:")
        lines.extend(f"  - {w}" for w in output["warnings"])
    return "\n".join(lines)


def _summary(q: dict) -> str:
    def percent(rate):
        return "n/a" if rate is None else f"{rate:.0%}"

    ranks = ", ".join(f"#{r}: {n}" for r, n in q["rank_profile"].items() if r.isdigit())
    status = "proven optimal" if q["optimal"] else (
        f"gap to bound {q['gap']:.2%}" if q["gap"] is not None else "not proven optimal")
    mean = "n/a" if q["mean_rank"] is None else f"{q['mean_rank']:.2f}"
    pareto = {True: "nobody can get a higher choice without someone else losing",
              False: f"{q['pareto_improvable']} students could get a higher choice with nobody worse off",
              None: "not checked"}[q["pareto_optimal"]]
    return "\n".join([
        f"Students: {q['students']}; with a buddy: {q['buddied']} ({percent(q['buddy_rate'])}; "
        f"the lists allow {percent(q['achievable_buddy_rate'])}); alone: {q['alone']}.",
        f"Mean rank {mean} ({ranks or 'none'}; off their list: {q['rank_profile']['off_list']}).",
        f"Fairness: {pareto}.",
        f"{status.capitalize()} ({q['method']}, {q['seconds']:.2f} s); violations: {q['violations']}.",
    ])
