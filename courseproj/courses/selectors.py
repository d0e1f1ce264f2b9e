"""Reads of courses and their people that several pages share."""
from courseproj.courses.models import Course, Membership, RosterEntry


def roster_not_joined(*, course: Course) -> list[RosterEntry]:
    """Roster entries nobody in the course answers to, by email, ignoring case.

    The one definition behind the Members page and the dashboard: an LMS
    export may write `Lena.Fischer@Uni.edu` for the account lena.fischer@uni.edu.
    """
    joined = {email.lower() for email in Membership.objects.filter(course=course).values_list("user__email", flat=True)}
    return [entry for entry in RosterEntry.objects.filter(course=course) if entry.email.lower() not in joined]

