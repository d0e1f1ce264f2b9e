"""State changes of courses and memberships: one function each."""
import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F

from courseproj.courses.models import (
    Course, Membership, Role, RosterEntry, User, new_display_token, new_join_code, person_name,
)
from courseproj.courses.selectors import roster_name_for


def live_touch(*, course_id: int) -> None:
    """Say that something a course shows live changed: the projector and the phones refetch.

    Every service that changes what those pages show calls it, inside its own
    transaction, so pollers see the new version only with the change itself.
    """
    Course.objects.filter(pk=course_id).update(live_version=F("live_version") + 1)


def user_set_name(*, user: User, name: str) -> User:
    """Change what every page calls this person; the boards of their courses show it at once."""
    user.name = person_name(name)[:120]
    with transaction.atomic():
        user.save(update_fields=["name"])
        for course_id in Membership.objects.filter(user=user).values_list("course_id", flat=True):
            live_touch(course_id=course_id)
    return user


def user_name_from_roster(*, user: User) -> None:
    """Someone without a name takes the one a roster gives their email (instructors import real names)."""
    if not user.name:
        name = roster_name_for(email=user.email)
        if name:
            user_set_name(user=user, name=name)


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
                user_name_from_roster(user=user)
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
COURSE_SETTINGS = (
    "title", "ranking_size", "min_circle_size", "max_circle_size", "anonymous", "interests_locked",
    "email_confirmation_later", "place_unranked",
)


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
    if email is None:  # a Canvas gradebook export has no email: its login id is one at most schools
        email = next((i for i, h in enumerate(lowered) if h == "sis login id"), None)
    if email is None:
        raise ValidationError("The roster needs a column named “email” (or, from a Canvas gradebook, “SIS Login ID”).")
    name = next((i for i, h in enumerate(lowered) if h in ("name", "full name", "student", "student name")), None)
    first = next((i for i, h in enumerate(lowered) if h in ("first name", "firstname", "given name")), None)
    last = next((i for i, h in enumerate(lowered) if h in ("last name", "lastname", "surname", "family name")), None)
    return email, name, first, last


# A roster cell holds a name or an email: 1,000 characters is far beyond either
# (the csv module itself refuses a cell over 128 KB with csv.Error).
ROSTER_CELL_MAX = 1000


def _roster_rows(text: str) -> list[list[str]]:
    """The rows of a roster CSV, whatever line endings it has (CR alone: Excel for Mac).

    A file the csv module cannot read, a cell too long or too many rows is a
    ValidationError naming the line: the form shows it, never a 500.
    """
    reader = csv.reader(io.StringIO(text.replace("\x00", ""), newline=""))

    def too_long() -> ValidationError:
        return ValidationError(
            f"Line {reader.line_num} has a cell longer than {ROSTER_CELL_MAX:,} characters; a roster holds emails and names."
        )

    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(rows) == ROSTER_MAX_ROWS:
                raise ValidationError(f"The roster has more than {ROSTER_MAX_ROWS:,} rows.")
            if any(len(cell) > ROSTER_CELL_MAX for cell in row):
                raise too_long()
            rows.append(row)
    except csv.Error as error:
        if "field larger than field limit" in str(error):  # the csv module's own bound, 128 KB
            raise too_long() from None
        raise ValidationError(f"Line {reader.line_num} is not valid CSV ({error}); save the roster as CSV again.") from None
    return rows


def _roster_note_row(row: list[str]) -> bool:
    """A line an LMS adds under the header that is nobody: Canvas's "Points Possible" row."""
    return bool(row) and row[0].strip().lower() == "points possible"


def roster_import(*, course: Course, data: bytes) -> RosterImport:
    """Add or update roster entries from a CSV; bad lines are reported, good ones kept.

    Names are stored as people write them ("Fischer, Lena" becomes "Lena Fischer"), otherwise
    verbatim: the export neutralises spreadsheet formulas. Members without a name take theirs.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    rows = _roster_rows(text)
    if not rows:
        raise ValidationError("The roster file is empty.")
    email_at, name_at, first_at, last_at = _roster_columns(rows[0])
    report = RosterImport()
    seen: set[str] = set()
    for line_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row) or _roster_note_row(row):
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

        name = person_name(cell(name_at) or " ".join(part for part in (cell(first_at), cell(last_at)) if part))
        _, created = RosterEntry.objects.update_or_create(course=course, email=email, defaults={"name": name[:120]})
        if created:
            report.added += 1
        else:
            report.updated += 1
    for member in course.memberships.filter(user__name="").select_related("user"):
        user_name_from_roster(user=member.user)
    return report
