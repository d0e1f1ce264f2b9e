"""State changes of the LMS connection: a launch, a roster sync, a push of circles into Canvas.

Services do not check who is asking (views do); they check what they change.
"""
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from courseproj.courses.models import Course, Membership, Role, RosterEntry, User
from courseproj.courses.services import live_touch
from courseproj.lti import canvas, nrps
from courseproj.lti.launch import DEEP_LINKING, NONCE_KEPT_SECONDS, NRPS, LaunchRefused, ValidLaunch
from courseproj.lti.models import (
    CanvasPush,
    CanvasSite,
    LtiCourseLink,
    LtiIdentity,
    LtiNonce,
    LtiRosterMember,
    LtiRosterSync,
    MemberStatus,
)
from courseproj.lti.roles import course_role
from matching.models import MatchRun

CANVAS_GROUP_SET = "courseproj circles"


@dataclass
class LaunchResult:
    user: User
    membership: Membership
    link: LtiCourseLink
    created_course: bool


def launch_accept(*, launch: ValidLaunch) -> LaunchResult:
    """Sign-in data of a validated launch, written in one transaction (docs/lti.md, "A launch").

    1. Use the nonce up: a second use is a replay, refused.
    2. The role, from the roles claim only; none we map is refused.
    3. The course link of (deployment, context); only an instructor's launch creates it.
    4. The account by (issuer, sub), else by the email claim, else a new one; never a staff account.
    5. The membership, with the role the platform stated this time.
    Any refusal raises LaunchRefused and rolls everything back: nothing is created.
    """
    claims = launch.claims
    with transaction.atomic():
        try:
            with transaction.atomic():
                LtiNonce.objects.create(issuer=claims["iss"], nonce=str(claims.get("nonce", ""))[:255])
        except IntegrityError:
            raise LaunchRefused("This launch was already used. Open courseproj again from your course in the LMS.") from None
        role = course_role(launch.claim("roles"))
        if role is None:
            raise LaunchRefused("Your LMS did not say you are a student, a teaching assistant or an instructor of this course, so courseproj cannot let you in.")
        if launch.message_type == DEEP_LINKING and role != Role.INSTRUCTOR:
            raise LaunchRefused("Only an instructor of the course can place courseproj in it.")
        context = launch.claim("context") or {}
        if not context.get("id"):
            raise LaunchRefused("Open courseproj from inside a course of your LMS.")
        link = LtiCourseLink.objects.filter(deployment=launch.deployment, context_id=str(context["id"])[:255]).select_related("course").first()
        if link is None and role != Role.INSTRUCTOR:
            raise LaunchRefused("Your instructor has not opened courseproj in this course yet. Try again after they have.")
        user = _account(launch)
        created_course = link is None
        if link is None:
            course = Course.objects.create(title=(context.get("title") or context.get("label") or "LMS course")[:200])
            link = LtiCourseLink(deployment=launch.deployment, context_id=str(context["id"])[:255], course=course)
        _update_link(link, launch)
        membership = _membership(course=link.course, user=user, role=role)
    return LaunchResult(user=user, membership=membership, link=link, created_course=created_course)


def lti_nonces_prune() -> int:
    """Forget used nonces older than any token we accept (run by beat); returns how many."""
    cutoff = timezone.now() - timedelta(seconds=NONCE_KEPT_SECONDS + 3600)
    return LtiNonce.objects.filter(used_at__lt=cutoff).delete()[0]


def _custom(launch: ValidLaunch, name: str) -> str:
    value = (launch.claim("custom") or {}).get(name, "")
    # An unsubstituted variable ("$Canvas.course.id") means the LMS does not know it.
    return "" if not isinstance(value, str | int) or str(value).startswith("$") else str(value)[:255]


def _update_link(link: LtiCourseLink, launch: ValidLaunch) -> None:
    context = launch.claim("context") or {}
    link.title = str(context.get("title") or link.title)[:255]
    link.label = str(context.get("label") or link.label)[:255]
    link.memberships_url = (launch.claims.get(NRPS) or {}).get("context_memberships_url") or link.memberships_url
    link.canvas_course_id = _custom(launch, "canvas_course_id") or link.canvas_course_id
    link.save()


def _claimed_email(claims: dict) -> str:
    email = str(claims.get("email") or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def _account(launch: ValidLaunch) -> User:
    claims = launch.claims
    issuer, sub = claims["iss"], str(claims["sub"])[:255]
    email = _claimed_email(claims)
    name = str(claims.get("name") or " ".join(p for p in (claims.get("given_name"), claims.get("family_name")) if p) or "")[:120]
    identity = LtiIdentity.objects.select_related("user").filter(issuer=issuer, sub=sub).first()
    user = identity.user if identity else (User.objects.filter(email__iexact=email).first() if email else None)
    if user is not None and (user.is_staff or user.is_superuser):
        raise LaunchRefused("This is a courseproj administrator's account: sign in to courseproj with your password and second factor instead.")
    if user is None:
        digest = hashlib.sha256(f"{issuer} {sub}".encode()).hexdigest()[:20]
        user = User.objects.create_user(email or f"lti-{digest}@users.invalid", password=None, name=name)
        if email:
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    elif name and user.name != name:
        user.name = name
        user.save(update_fields=["name"])
    LtiIdentity.objects.update_or_create(
        issuer=issuer,
        sub=sub,
        defaults={"user": user, "name": name, "email": email, "username": _custom(launch, "username"), "last_launch_at": timezone.now()},
    )
    return user


def _membership(*, course: Course, user: User, role: str) -> Membership:
    membership = Membership.objects.filter(course=course, user=user).first()
    if membership is None:
        membership = Membership.objects.create(course=course, user=user, role=role)
        live_touch(course_id=course.pk)
    elif membership.role != role:
        others = Membership.objects.filter(course=course, role=Role.INSTRUCTOR).exclude(pk=membership.pk)
        if membership.is_instructor and not others.exists():
            return membership  # the course's last instructor is not demoted by a launch
        membership.role = role
        membership.save(update_fields=["role"])
        live_touch(course_id=course.pk)
    return membership


def _member_fields(raw: dict, now) -> dict:
    status = raw.get("status") if raw.get("status") in MemberStatus.values else MemberStatus.ACTIVE
    email = _claimed_email(raw)
    return {
        "name": str(raw.get("name") or "")[:255],
        "given_name": str(raw.get("given_name") or "")[:255],
        "family_name": str(raw.get("family_name") or "")[:255],
        "email": email,
        "roles": [r for r in raw.get("roles") or [] if isinstance(r, str)][:20],
        "status": status,
        "sis_user_id": str(raw.get("lis_person_sourcedid") or "")[:255],
        "login_id": str(raw.get("login_id") or "")[:255],
        "canvas_user_id": str(raw.get("canvas_user_id") or "")[:64],
        "seen_at": now,
    }


def roster_sync(*, link: LtiCourseLink) -> LtiRosterSync:
    """Read every NRPS page and store the members; people who left are marked, never deleted.

    Idempotent: a second sync of the same roster changes nothing but `seen_at`.
    Students with an email feed the course's roster, so "not joined" uses them.
    """
    sync = LtiRosterSync.objects.create(link=link)
    try:
        if not link.memberships_url:
            raise nrps.NrpsError("the LMS did not offer Names and Roles in the launch (turn the service on)")
        members, sync.pages = nrps.fetch_members(link.deployment.registration.to_registration(), link.memberships_url)
    except nrps.NrpsError as exc:
        sync.error, sync.finished_at = str(exc), timezone.now()
        sync.save(update_fields=["error", "finished_at"])
        return sync
    now = timezone.now()
    with transaction.atomic():
        existing = {m.sub: m for m in link.roster_members.all()}
        fresh, seen = [], {}
        for raw in members:
            sub = str(raw.get("user_id") or "")[:255]
            if not sub or sub in seen:
                continue
            fields = seen[sub] = _member_fields(raw, now)
            member = existing.get(sub) or LtiRosterMember(link=link, sub=sub, **fields)
            active = fields["status"] == MemberStatus.ACTIVE
            fields["left_at"] = None if active else (member.left_at or now)
            for name, value in fields.items():
                setattr(member, name, value)
            if member.pk is None:
                fresh.append(member)
        for sub, member in existing.items():
            if sub not in seen and member.left_at is None:
                member.left_at = now  # gone from the LMS course altogether
        LtiRosterMember.objects.bulk_create(fresh)
        LtiRosterMember.objects.bulk_update(list(existing.values()), [*_member_fields({}, now), "left_at"])
        _roster_entries(link)
        sync.members = len(seen)
        sync.left = link.roster_members.filter(left_at__isnull=False).count()
        sync.finished_at = timezone.now()
        sync.save(update_fields=["pages", "members", "left", "finished_at"])
    return sync


def _roster_entries(link: LtiCourseLink) -> None:
    """The students of the LMS roster as the course's roster entries (by email; a CSV entry becomes an LMS one)."""
    students = {}
    for member in link.roster_members.all():
        if member.email and course_role(member.roles) == Role.STUDENT:
            students[member.email] = member
    entries = {e.email: e for e in RosterEntry.objects.filter(course=link.course)}
    changed, fresh = [], []
    for email, member in students.items():
        entry = entries.get(email) or RosterEntry(course=link.course, email=email)
        values = {"name": (member.name or f"{member.given_name} {member.family_name}".strip())[:120], "source": RosterEntry.Source.LTI, "left_at": member.left_at}
        if entry.pk is None:
            fresh.append(RosterEntry(course=link.course, email=email, **values))
        elif any(getattr(entry, k) != v for k, v in values.items()):
            changed.append(entry)
            for k, v in values.items():
                setattr(entry, k, v)
    now = timezone.now()
    for email, entry in entries.items():
        if entry.source == RosterEntry.Source.LTI and email not in students and entry.left_at is None:
            entry.left_at = now
            changed.append(entry)
    RosterEntry.objects.bulk_create(fresh)
    RosterEntry.objects.bulk_update(changed, ["name", "source", "left_at"])


def canvas_push(*, run: MatchRun, link: LtiCourseLink, circles: dict[str, list[str]], token: str, user: User) -> tuple[CanvasPush, canvas.PushReport]:
    """Make Canvas's group set hold the run's circles; the token is used for this push and never stored."""
    site = CanvasSite.objects.filter(registration=link.deployment.registration).first()
    if site is None:
        raise ValidationError("The Canvas base URL of this LMS is not set: ask the courseproj administrators (admin → LTI registrations).")
    if not link.canvas_course_id:
        raise ValidationError("Canvas did not send its course id: add the custom field canvas_course_id=$Canvas.course.id and launch again.")
    last = CanvasPush.objects.filter(run__course=run.course).first()
    try:
        report = canvas.push_circles(
            canvas.CanvasClient(site.base_url, token),
            course_id=link.canvas_course_id,
            category_name=CANVAS_GROUP_SET,
            circles=circles,
            known_ids=last.canvas_ids if last else None,
        )
    except canvas.CanvasError as exc:
        raise ValidationError(str(exc)) from exc
    record = CanvasPush.objects.create(
        run=run,
        pushed_by=user,
        category_id=report.category_id,
        created_groups=len(report.created_groups),
        added=report.added,
        removed=report.removed,
        canvas_ids=report.canvas_ids,
    )
    return record, report
