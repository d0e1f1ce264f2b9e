"""The CSV export: one row per student, and per roster entry who never joined."""
from courseproj.courses.models import Course
from courseproj.dashboard.selectors.overview import dashboard
from courseproj.planner.models import ProjectAssignment

EXPORT_HEADER = ["Name", "Email", "In the course", "Ranking", "Dataset", "Circle size", "Circle",
                 "Plan status", "Picks", "Alternative track"]


def export_rows(*, course: Course, assignment: ProjectAssignment | None) -> list[list]:
    """One row per student (and per roster entry who never joined), values verbatim: the writer neutralises."""
    board = dashboard(course=course, assignment=assignment)
    rows: list[list] = [list(EXPORT_HEADER)]
    for r in board.rows:
        rows.append([
            r.name, r.email, "joined", "; ".join(r.ranking), r.dataset.title if r.dataset else "",
            len(r.circle) + 1 if r.dataset else 0, "; ".join(r.circle),
            r.plan_status_label if assignment else "", "; ".join(r.picks), "yes" if r.alternative else "no",
        ])
    for entry in board.not_joined:
        rows.append([entry.name, entry.email, "not joined", "", "", 0, "", "", "", "no"])
    return rows
