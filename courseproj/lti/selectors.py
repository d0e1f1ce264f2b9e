"""Reads for the LMS pages: a course's link, its roster, and a published run's circles as LMS groups."""
from collections import Counter
from dataclasses import dataclass, field

from courseproj.courses.models import Course
from courseproj.lti.models import CanvasPush, LtiCourseLink, LtiIdentity, LtiRosterMember, LtiRosterSync
from datasets.models import Dataset
from matching.models import MatchRun

# The Canvas group-import user columns, in the order we prefer them.
CANVAS_ID_COLUMNS = ("canvas_user_id", "user_id", "login_id")


@dataclass
class Placed:
    user_id: int
    name: str
    email: str
    sub: str = ""  # the LMS's user id (LTI subject), when the person launched from the LMS
    username: str = ""  # Moodle's username (custom parameter)
    ids: dict[str, str] = field(default_factory=dict)  # Canvas CSV column -> value


@dataclass
class LmsCircle:
    name: str
    members: list[Placed]


@dataclass
class LmsCircles:
    circles: list[LmsCircle]
    canvas_column: str
    # Students the Canvas CSV or the push cannot name (no id of that kind, never launched).
    no_canvas_id: list[Placed]
    not_launched: list[Placed]

    def for_push(self) -> dict[str, list[str]]:
        return {c.name: [p.sub for p in c.members if p.sub] for c in self.circles}


def course_link(*, course: Course) -> LtiCourseLink | None:
    return LtiCourseLink.objects.filter(course=course).select_related("deployment__registration").first()


def last_sync(*, link: LtiCourseLink | None) -> LtiRosterSync | None:
    return link.syncs.first() if link else None


def roster_counts(*, link: LtiCourseLink | None) -> dict[str, int]:
    if link is None:
        return {}
    members = link.roster_members.all()
    return {"members": members.count(), "active": members.filter(left_at__isnull=True).count(), "left": members.filter(left_at__isnull=False).count()}


def published_run(*, course: Course) -> MatchRun | None:
    return MatchRun.objects.for_course(course).published().first()


def last_push(*, run: MatchRun) -> CanvasPush | None:
    return run.canvas_pushes.first()


def _group_names(run: MatchRun) -> dict[str, str]:
    """Dataset id -> group name: the dataset's title, numbered when two datasets share a title."""
    circles = (run.result or {}).get("circles") or {}
    titles = dict(Dataset.objects.filter(pk__in=[int(d) for d in circles]).values_list("pk", "title"))
    counts, names = Counter(), {}
    for dataset_id in sorted(circles, key=lambda d: (titles.get(int(d), ""), int(d))):
        title = titles.get(int(dataset_id)) or f"Dataset {dataset_id}"
        counts[title] += 1
        names[dataset_id] = title if counts[title] == 1 else f"{title} ({counts[title]})"
    return names


def lms_circles(*, run: MatchRun, link: LtiCourseLink | None) -> LmsCircles:
    """The run's circles with each student's LMS ids (from their launches and the NRPS roster)."""
    circles = (run.result or {}).get("circles") or {}
    student_ids = {int(s) for members in circles.values() for s in members}
    people = {m.user_id: m.user for m in run.course.memberships.filter(user_id__in=student_ids).select_related("user")}
    identities, roster = {}, {}
    if link is not None:
        issuer = link.deployment.registration.issuer
        identities = {i.user_id: i for i in LtiIdentity.objects.filter(issuer=issuer, user_id__in=student_ids)}
        roster = {m.sub: m for m in LtiRosterMember.objects.filter(link=link, sub__in=[i.sub for i in identities.values()])}
    names = _group_names(run)
    result = []
    for dataset_id, name in names.items():
        placed = []
        for student_id in circles[dataset_id]:
            user = people.get(int(student_id))
            if user is None:
                continue  # left the course since the run
            identity = identities.get(user.pk)
            member = roster.get(identity.sub) if identity else None
            ids = {"canvas_user_id": member.canvas_user_id, "user_id": member.sis_user_id, "login_id": member.login_id} if member else {}
            placed.append(
                Placed(user.pk, user.display_name, user.email, identity.sub if identity else "", identity.username if identity else "", {k: v for k, v in ids.items() if v})
            )
        result.append(LmsCircle(name, sorted(placed, key=lambda p: p.name.lower())))
    everyone = [p for c in result for p in c.members]
    column = next((c for c in CANVAS_ID_COLUMNS if everyone and all(c in p.ids for p in everyone)), None)
    if column is None:  # no column names everyone: the one naming most; a course without LMS ids gets login ids = emails
        column = max(CANVAS_ID_COLUMNS, key=lambda c: sum(c in p.ids for p in everyone)) if any(p.ids for p in everyone) else "login_id"
        if not any(p.ids for p in everyone):
            for p in everyone:
                p.ids["login_id"] = p.email
    return LmsCircles(
        circles=result,
        canvas_column=column,
        no_canvas_id=[p for p in everyone if column not in p.ids],
        not_launched=[p for p in everyone if not p.sub],
    )
