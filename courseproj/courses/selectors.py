"""Reads of courses and their people that several pages share."""
from dataclasses import dataclass

from courseproj.courses.models import Course, Membership, RosterEntry


def roster_not_joined(*, course: Course) -> list[RosterEntry]:
    """Roster entries nobody in the course answers to, by email, ignoring case.

    The one definition behind the Members page and the dashboard: an LMS
    export may write `Lena.Fischer@Uni.edu` for the account lena.fischer@uni.edu.
    """
    joined = {email.lower() for email in Membership.objects.filter(course=course).values_list("user__email", flat=True)}
    # People who left the LMS course (the LTI roster sync marks them) are not expected any more.
    entries = RosterEntry.objects.filter(course=course, left_at__isnull=True)
    return [entry for entry in entries if entry.email.lower() not in joined]



def roster_name_for(*, email: str) -> str:
    """The name an instructor's roster gives this email (any course, newest import first, ignoring case), or ""."""
    entry = (
        RosterEntry.objects.filter(email__iexact=email).exclude(name="").order_by("-imported_at", "-pk").first()
    )
    return entry.name if entry else ""


@dataclass
class NextStep:
    text: str
    done: bool
    url_name: str  # where to do it ("" for this page)


def course_next_steps(*, course: Course) -> list[NextStep]:
    """A new course's checklist for the instructor, in the order a class goes through it; [] once all are done.

    Read through the course's reverse relations (datasets, assignments, the
    activity, runs), so this app imports none of the apps built on it.
    """
    activity_started = (
        Course.objects.filter(pk=course.pk, activity__isnull=False).exists() or course.match_runs.exists()
    )
    steps = [
        NextStep("Add datasets to the catalog", course.datasets.filter(status="approved").exists(), "catalog"),
        NextStep("Create a project assignment", course.project_assignments.exists(), "assignments"),
        NextStep("Share the join code: students joined", course.memberships.students().exists(), ""),
        NextStep("Open the in-class activity", activity_started, "activity"),
    ]
    return [] if all(step.done for step in steps) else steps
