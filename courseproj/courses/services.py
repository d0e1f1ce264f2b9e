"""State changes of courses and memberships: one function each."""
import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F

from courseproj.courses.models import Course, Membership, Role, RosterEntry, new_display_token, new_join_code


def live_touch(*, course_id: int) -> None:
    """Say that something a course shows live changed: the projector and the phones refetch.

    Every service that changes what those pages show calls it, inside its own
    transaction, so pollers see the new version only with the change itself.
    """
    Course.objects.filter(pk=course_id).update(live_version=F("live_version") + 1)


def course_create(*, user, title: str) -> Course:
    with transaction.atomic():
        course = Course.objects.create(title=title)
        Membership.objects.create(course=course, user=user, role=Role.INSTRUCTOR)
    return course


def course_join(*, user, code: str) -> tuple[Membership, bool]:
    """Join by code; joining twice is a harmless no-op. Raises Course.DoesNotExist."""
    course = Course.objects.get(join_code=code.strip().upper())
    try:
        with transaction.atomic():
            membership, created = Membership.objects.get_or_create(
                course=course, user=user, defaults={"role": Role.STUDENT}
            )
            if created:
                live_touch(course_id=course.pk)
            return membership, created
    except IntegrityError:
        # Two tabs joined at the same moment: the other request made the row.
        return Membership.objects.get(course=course, user=user), False


def course_regenerate_code(*, course: Course) -> Course:
    course.join_code = new_join_code()
    course.save(update_fields=["join_code"])
    return course


def course_regenerate_display_link(*, course: Course) -> Course:
    course.display_token = new_display_token()
    course.save(update_fields=["display_token"])
    return course


# The settings an instructor edits on the settings page.
COURSE_SETTINGS = ("title", "ranking_size", "min_circle_size", "max_circle_size", "anonymous", "interests_locked")


def course_update(*, course: Course, **changes) -> Course:
    """Change some of the course's settings (names in COURSE_SETTINGS); the live pages follow."""
    unknown = set(changes) - set(COURSE_SETTINGS)
    if unknown:
        raise TypeError(f"not a course setting: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(course, name, value)
    with transaction.atomic():
        course.save(update_fields=list(changes))
        live_touch(course_id=course.pk)
    return course


def _require_another_instructor(membership: Membership) -> None:
    others = Membership.objects.filter(course=membership.course, role=Role.INSTRUCTOR).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError("A course needs at least one instructor.")


def membership_remove(*, membership: Membership) -> None:
    """Remove a member; a course always keeps at least one instructor."""
    if membership.is_instructor:
        _require_another_instructor(membership)
    with transaction.atomic():
        membership.user.interests.filter(course=membership.course).delete()
        membership.delete()
        live_touch(course_id=membership.course_id)


def membership_set_role(*, membership: Membership, role: str) -> Membership:
    if membership.is_instructor and role != Role.INSTRUCTOR:
        _require_another_instructor(membership)
    membership.role = Role(role)
    with transaction.atomic():
        membership.save(update_fields=["role"])
        live_touch(course_id=membership.course_id)
    return membership


@dataclass
class RosterImport:
    added: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


ROSTER_MAX_ROWS = 20_000


def _roster_columns(header: list[str]) -> tuple[int, int | None, int | None, int | None]:
    """Find the email and name columns of an LMS export (Canvas, Moodle, a spreadsheet)."""
    lowered = [h.strip().lower() for h in header]
    email = next((i for i, h in enumerate(lowered) if "email" in h or "e-mail" in h), None)
    if email is None:
        raise ValidationError("The roster needs a column named “email”.")
    name = next((i for i, h in enumerate(lowered) if h in ("name", "full name", "student", "student name")), None)
    first = next((i for i, h in enumerate(lowered) if h in ("first name", "firstname", "given name")), None)
    last = next((i for i, h in enumerate(lowered) if h in ("last name", "lastname", "surname", "family name")), None)
    return email, name, first, last


def roster_import(*, course: Course, data: bytes) -> RosterImport:
    """Add or update roster entries from a CSV; bad lines are reported, good ones kept.

    Names are stored verbatim; the export neutralises spreadsheet formulas.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    rows = list(csv.reader(io.StringIO(text.replace("\x00", ""))))
    if not rows:
        raise ValidationError("The roster file is empty.")
    if len(rows) > ROSTER_MAX_ROWS:
        raise ValidationError(f"The roster has more than {ROSTER_MAX_ROWS:,} rows.")
    email_at, name_at, first_at, last_at = _roster_columns(rows[0])
    report = RosterImport()
    seen: set[str] = set()
    for line_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        email = row[email_at].strip().lower() if email_at < len(row) else ""
        try:
            validate_email(email)
        except ValidationError:
            report.errors.append(f"Line {line_number}: “{email[:80]}” is not an email address.")
            continue
        if email in seen:
            report.errors.append(f"Line {line_number}: {email} appears twice; the first line was kept.")
            continue
        seen.add(email)

        def cell(index: int | None) -> str:
            return row[index].strip() if index is not None and index < len(row) else ""

        name = cell(name_at) or " ".join(part for part in (cell(first_at), cell(last_at)) if part)
        _, created = RosterEntry.objects.update_or_create(course=course, email=email, defaults={"name": name[:120]})
        if created:
            report.added += 1
        else:
            report.updated += 1
    return report
