"""State changes of the mini-project planner: one function each.

A plan moves draft → submitted → approved, or submitted → changes requested →
submitted again. The student owns the edits and the submission; instructors
and TAs decide — the views check who is asking (courseproj/courses/access.py),
these functions only the plan's state. Every move is a conditional UPDATE on the status it starts
from, so a double-click or two tabs make exactly one move and the second gets
a clear message instead of a second transition.
"""
import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from courseproj.courses.models import Course, Membership, greeting

from courseproj.planner.models import EDITABLE_PLAN_STATUSES, ChoiceCategory, ChoiceMenu, ChoiceOption, ChoicePick, Plan, PlanComment, PlanMilestone, PlanStatus, ProjectAssignment
from matching.models import Interest
from matching.selectors import published_assignments

# --- assignments -------------------------------------------------------------


def assignment_create(
    *,
    course: Course,
    title: str,
    launch_on: date,
    checkin_on: date,
    due_on: date,
    plan_fields: list[str],
    needs_dataset: bool = True,
    instructions: str = "",
) -> ProjectAssignment:
    return ProjectAssignment.objects.create(
        course=course, title=title, launch_on=launch_on, checkin_on=checkin_on, due_on=due_on,
        plan_fields=plan_fields, needs_dataset=needs_dataset, instructions=instructions,
    )


def assignment_update(
    *,
    assignment: ProjectAssignment,
    title: str,
    launch_on: date,
    checkin_on: date,
    due_on: date,
    plan_fields: list[str],
    needs_dataset: bool,
    instructions: str,
) -> ProjectAssignment:
    """Change an assignment's settings; answers to a removed plan field are kept, just not shown."""
    assignment.title, assignment.instructions, assignment.needs_dataset = title, instructions, needs_dataset
    assignment.launch_on, assignment.checkin_on, assignment.due_on = launch_on, checkin_on, due_on
    assignment.plan_fields = plan_fields
    assignment.save()
    return assignment


# --- the choice menu -----------------------------------------------------------

URL_AT_END = re.compile(r"\s+(https?://\S+)$")
MAX_CATEGORIES = 50
MAX_OPTIONS = 500


@dataclass(frozen=True)
class OutlineCategory:
    name: str
    note: str
    options: tuple[tuple[str, str], ...]  # (title, url)


def parse_menu_outline(text: str) -> list[OutlineCategory]:
    """Read the instructor's outline: a category per line, its options below as "- title [url]".

        PyTorch Recipes: there are lots of good options here
        - Saving and loading models https://pytorch.org/tutorials/...
        Text
        - Language modelling with nn.Transformer

    Raises ValidationError naming the line of every problem.
    """
    errors: list[str] = []
    categories: list[tuple[str, str, list[tuple[str, str]]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line[0] in "-*•":
            title, url = line[1:].strip(), ""
            found = URL_AT_END.search(title)
            if found:
                title, url = title[: found.start()].strip(), found.group(1)
            if not categories:
                errors.append(f"Line {number}: an option must come below its category.")
            elif not title:
                errors.append(f"Line {number}: the option has no title.")
            elif len(title) > 200 or len(url) > 200:
                errors.append(f"Line {number}: keep an option's title and link under 200 characters each.")
            elif any(title == t for t, _ in categories[-1][2]):
                errors.append(f"Line {number}: “{title}” is listed twice in “{categories[-1][0]}”.")
            else:
                categories[-1][2].append((title, url))
            continue
        name, _, note = line.partition(":")
        name, note = name.strip(), note.strip()
        if not name or len(name) > 120 or len(note) > 300:
            errors.append(f"Line {number}: a category needs a name under 120 characters (and a note under 300).")
        elif any(name == n for n, _, _ in categories):
            errors.append(f"Line {number}: the category “{name}” appears twice.")
        else:
            categories.append((name, note, []))
    for name, _, options in categories:
        if not options:
            errors.append(f"The category “{name}” has no options: list them below it, each starting with “-”.")
    if not categories and not errors:
        errors.append("List at least one category with its options.")
    if len(categories) > MAX_CATEGORIES or sum(len(o) for _, _, o in categories) > MAX_OPTIONS:
        errors.append(f"A menu holds at most {MAX_CATEGORIES} categories and {MAX_OPTIONS} options.")
    if errors:
        raise ValidationError(errors)
    return [OutlineCategory(name, note, tuple(options)) for name, note, options in categories]


def menu_outline(menu: ChoiceMenu) -> str:
    """The outline text of an existing menu, for the edit form."""
    lines = []
    for category in menu.categories.prefetch_related("options"):
        lines.append(f"{category.name}: {category.note}" if category.note else category.name)
        lines.extend(f"- {o.title} {o.url}".rstrip() for o in category.options.all())
    return "\n".join(lines)


def menu_save(
    *,
    assignment: ProjectAssignment,
    outline: list[OutlineCategory],
    pick_count: int,
    distinct_categories: bool,
    alternative_label: str = "",
    alternative_url: str = "",
    instructions: str = "",
) -> ChoiceMenu:
    """Create or update the menu and make its options match the outline.

    Options keep their identity by (category, title), so students' picks
    survive an edit; removing an option someone picked is refused.
    """
    if distinct_categories and pick_count > len(outline):
        raise ValidationError(
            f"Nobody can pick {pick_count} from different categories: the menu has {len(outline)}."
        )
    if pick_count > sum(len(c.options) for c in outline):
        raise ValidationError(f"The menu has fewer than {pick_count} options to pick from.")
    with transaction.atomic():
        menu, _ = ChoiceMenu.objects.select_for_update().update_or_create(
            assignment=assignment,
            defaults={"pick_count": pick_count, "distinct_categories": distinct_categories,
                      "alternative_label": alternative_label, "alternative_url": alternative_url,
                      "instructions": instructions},
        )
        wanted = {(c.name, title) for c in outline for title, _ in c.options}
        existing = ChoiceOption.objects.filter(category__menu=menu).select_related("category")
        gone = [o for o in existing if (o.category.name, o.title) not in wanted]
        picked = [o for o in gone if o.picks.exists()]
        if picked:
            names = ", ".join(f"“{o.title}”" for o in picked[:5])
            raise ValidationError(f"Students already picked {names}: keep {'it' if len(picked) == 1 else 'them'} on the menu.")
        ChoiceOption.objects.filter(pk__in=[o.pk for o in gone]).delete()
        ChoiceCategory.objects.filter(menu=menu).exclude(name__in=[c.name for c in outline]).delete()
        for position, entry in enumerate(outline):
            category, _ = ChoiceCategory.objects.update_or_create(
                menu=menu, name=entry.name, defaults={"note": entry.note, "position": position}
            )
            for option_position, (title, url) in enumerate(entry.options):
                ChoiceOption.objects.update_or_create(
                    category=category, title=title, defaults={"url": url, "position": option_position}
                )
    return menu


@dataclass(frozen=True)
class PickRule:
    count: int
    distinct_categories: bool
    has_alternative: bool

    @classmethod
    def of(cls, menu: ChoiceMenu) -> "PickRule":
        return cls(menu.pick_count, menu.distinct_categories, bool(menu.alternative_label))


def pick_errors(*, rule: PickRule, picked: list[tuple[str, str]], alternative: bool) -> list[str]:
    """What is wrong with a student's picks, as sentences; [] when they meet the rule.

    `picked` holds (option title, category name) for each chosen option.
    """
    n = len(picked)
    either = f" (or take the alternative track)" if rule.has_alternative else ""
    if alternative:
        if not rule.has_alternative:
            return ["This assignment has no alternative track: pick from the menu."]
        if picked:
            return [f"Choose either the alternative track or {rule.count} from the menu, not both: "
                    f"uncheck your picks, or choose “Pick from the menu”."]
        return []
    if n < rule.count:
        return [f"Pick {rule.count}{either}; you picked {n}."]
    if n > rule.count:
        return [f"Pick exactly {rule.count}; you picked {n}. Uncheck {n - rule.count}."]
    errors = []
    if rule.distinct_categories:
        seen: dict[str, str] = {}
        for title, category in picked:
            if category in seen:
                errors.append(f"Pick each from a different category: “{seen[category]}” and “{title}” "
                              f"are both in “{category}”.")
            seen.setdefault(category, title)
    return errors


# --- plans ---------------------------------------------------------------------


def _not_editable_message(plan: Plan) -> str:
    plan.refresh_from_db(fields=["status"])
    if plan.status == PlanStatus.APPROVED:
        return "Your plan is approved; it can no longer be changed."
    return "Your plan is waiting for approval; you can change it again if your instructor asks for changes."


def _matched_dataset(assignment: ProjectAssignment, student_id: int) -> tuple[bool, int | None]:
    """(is there a published matching?, the student's dataset in it)."""
    assigned = published_assignments(course=assignment.course)
    return bool(assigned), assigned.get(student_id)


def plan_start(*, membership: Membership, assignment: ProjectAssignment) -> tuple[Plan, bool]:
    """The student's plan for the assignment, created on first use (a double-click makes one).

    The dataset starts as the one the published matching gave, else the student's first choice.
    """
    dataset_id = None
    if assignment.needs_dataset:
        matched, dataset_id = _matched_dataset(assignment, membership.user_id)
        if not matched:
            first = Interest.objects.filter(course=assignment.course, student=membership.user, rank=1).first()
            dataset_id = first.dataset_id if first else None
    try:
        with transaction.atomic():
            return Plan.objects.get_or_create(
                assignment=assignment, student=membership.user, defaults={"dataset_id": dataset_id}
            )
    except IntegrityError:
        return Plan.objects.get(assignment=assignment, student=membership.user), False


@dataclass(frozen=True)
class Picks:
    """A student's choices from the menu, as the form sends them."""

    option_ids: list[int]
    reflections: dict[int, str]
    takes_alternative: bool


def plan_save(
    *, plan: Plan, by: Membership, answers: dict[str, str], dataset_id: int | None, picks: Picks | None = None
) -> list[str]:
    """Save the student's answers and choices while the plan is editable, in one transaction.

    The dataset is the student's choice only when the course published no
    matching; after one is published, the matching decides. A draft may hold
    choices that do not meet the menu's rule yet: they are saved, and the rule's
    complaints are returned for the page to show (submitting refuses them).
    """
    if plan.assignment.needs_dataset:
        matched, assigned = _matched_dataset(plan.assignment, plan.student_id)
        dataset_id = assigned if matched else dataset_id
    else:
        dataset_id = None
    menu = ChoiceMenu.objects.filter(assignment_id=plan.assignment_id).first() if picks is not None else None
    options: list[ChoiceOption] = []
    if menu is not None:
        options = list(ChoiceOption.objects.filter(category__menu=menu, pk__in=picks.option_ids).select_related("category"))
        if len(options) != len(set(picks.option_ids)):
            raise ValidationError("That option is not on this assignment's menu.")
    # Answers to fields the instructor removed stay in the row (they come back if the field does).
    fields = {"answers": {**plan.answers, **answers}, "dataset_id": dataset_id, "updated_at": timezone.now()}
    if menu is not None:
        fields["takes_alternative"] = picks.takes_alternative and bool(menu.alternative_label)
    with transaction.atomic():
        if not Plan.objects.filter(pk=plan.pk, status__in=EDITABLE_PLAN_STATUSES).update(**fields):
            raise ValidationError(_not_editable_message(plan))
        if menu is not None:
            ChoicePick.objects.filter(plan=plan).exclude(option_id__in=[o.pk for o in options]).delete()
            for option in options:
                ChoicePick.objects.update_or_create(
                    plan=plan, option=option, defaults={"reflection": picks.reflections.get(option.pk, "")}
                )
    plan.refresh_from_db()
    if menu is None:
        return []
    return pick_errors(rule=PickRule.of(menu), picked=[(o.title, o.category.name) for o in options],
                       alternative=picks.takes_alternative)


def submit_errors(plan: Plan) -> list[str]:
    """Why the plan cannot be submitted yet, as sentences."""
    assignment = plan.assignment
    errors = []
    if assignment.needs_dataset and plan.dataset_id is None:
        errors.append("Choose your dataset.")
    for label in assignment.plan_fields:
        if not (plan.answers.get(label) or "").strip():
            errors.append(f"Answer “{label}”.")
    menu = getattr(assignment, "menu", None)
    if menu is not None:
        picks = list(plan.picks.select_related("option__category"))
        errors += pick_errors(rule=PickRule.of(menu), picked=[(p.option.title, p.option.category.name) for p in picks],
                              alternative=plan.takes_alternative)
        errors += [f"Write your reflection on “{p.option.title}”." for p in picks if not p.reflection.strip()]
    return errors


def _move(*, plan: Plan, by: Membership, to: PlanStatus, comment: str = "", **stamps) -> Plan:
    """Move the plan to `to` from the states that lead there, leaving a comment with the event."""
    sources = {
        PlanStatus.SUBMITTED: EDITABLE_PLAN_STATUSES,
        PlanStatus.APPROVED: (PlanStatus.SUBMITTED,),
        PlanStatus.CHANGES_REQUESTED: (PlanStatus.SUBMITTED, PlanStatus.APPROVED),
    }[to]
    with transaction.atomic():
        changed = Plan.objects.filter(pk=plan.pk, status__in=sources).update(
            status=to, updated_at=timezone.now(), **stamps
        )
        if not changed:
            plan.refresh_from_db(fields=["status"])
            raise ValidationError(f"This plan is “{plan.get_status_display().lower()}”; it cannot be moved to "
                                  f"“{PlanStatus(to).label.lower()}” from there.")
        PlanComment.objects.create(plan=plan, author=by.user, body=comment, event=to)
    plan.refresh_from_db()
    return plan


def plan_submit(*, plan: Plan, by: Membership) -> Plan:
    """The student asks for approval; refused, with every reason, while something is missing."""
    if not plan.is_editable:
        raise ValidationError(_not_editable_message(plan))
    errors = submit_errors(plan)
    if errors:
        raise ValidationError(errors)
    return _move(plan=plan, by=by, to=PlanStatus.SUBMITTED, submitted_at=timezone.now())


def plan_approve(*, plan: Plan, by: Membership, comment: str = "") -> Plan:
    return _move(plan=plan, by=by, to=PlanStatus.APPROVED, comment=comment, decided_at=timezone.now())


def plan_request_changes(*, plan: Plan, by: Membership, comment: str) -> Plan:
    """Send the plan back to the student; the comment says what to change, so it is required."""
    if not comment.strip():
        raise ValidationError("Say what should change: the student sees your comment.")
    return _move(plan=plan, by=by, to=PlanStatus.CHANGES_REQUESTED, comment=comment, decided_at=timezone.now())


def plan_comment_add(*, plan: Plan, by: Membership, body: str) -> PlanComment:
    """The student or staff add to the thread (the view let only them reach the plan)."""
    return PlanComment.objects.create(plan=plan, author=by.user, body=body)


def plan_milestone_add(*, plan: Plan, by: Membership, title: str, due_on: date) -> PlanMilestone:
    assignment = plan.assignment
    if not assignment.launch_on <= due_on <= assignment.due_on:
        raise ValidationError(
            f"Choose a date between the launch ({assignment.launch_on:%b %-d}) and the due date ({assignment.due_on:%b %-d})."
        )
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if not locked.is_editable:
            raise ValidationError(_not_editable_message(plan))
        return PlanMilestone.objects.create(plan=plan, title=title, due_on=due_on)


def plan_milestone_remove(*, plan: Plan, by: Membership, milestone: PlanMilestone) -> None:
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if not locked.is_editable:
            raise ValidationError(_not_editable_message(plan))
        milestone.delete()


# --- reminders -------------------------------------------------------------------

REMINDERS = {
    "not_joined": (
        "Join {course} on courseproj",
        "Hello,\n\nYou are on the roster of {course}, but you have not joined it on courseproj yet.\n"
        "Join here: {link}\n",
    ),
    "not_ranked": (
        "Rank your datasets for {course}",
        "{hello}\n\nYou have not ranked any datasets for the mini-project in {course} yet.\n"
        "Choose a dataset at least one other student also works on, so you have someone to confer with.\n"
        "Rank them here: {link}\n",
    ),
    "no_plan": (
        "Submit your plan for {assignment}",
        "{hello}\n\nYour plan for {assignment} in {course} has not been submitted yet"
        " (due {due}).\nOpen it here: {link}\n",
    ),
    "changes_requested": (
        "Your plan for {assignment} needs changes",
        "{hello}\n\nYour instructor asked for changes to your plan for {assignment} in {course}.\n"
        "Read the comments and resubmit: {link}\n",
    ),
}


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str  # their own name ("" when they gave none: the email says a plain "Hello,")
    link: str


def _one_line(text: str) -> str:
    """A header value: a title with a line break would make the mail library refuse the message."""
    return " ".join(text.split())


def stragglers_remind(*, course: Course, list_name: str, recipients: list[Recipient],
                      assignment: ProjectAssignment | None = None) -> int:
    """Queue an email to each straggler of one dashboard list; a worker sends them.

    One message each, so nobody sees the others' addresses. Returns how many
    were queued; raises ValidationError when the queue cannot be reached
    (nothing was sent, and the page must not say otherwise).
    """
    from courseproj.planner.tasks import reminders_send_task

    subject, body = REMINDERS[list_name]
    facts = {"course": course.title, "assignment": assignment.title if assignment else "",
             "due": f"{assignment.due_on:%A %-d %B}" if assignment else ""}
    emails = [
        [_one_line(subject.format(**facts)), body.format(**facts, hello=greeting(r.name), link=r.link),
         settings.DEFAULT_FROM_EMAIL, [r.email]]
        for r in recipients
    ]
    if not emails:
        return 0
    try:
        reminders_send_task.apply_async(args=[emails], retry=True)
    except Exception:  # the broker is unreachable or frozen: nothing is on its way
        raise ValidationError("The reminders could not be queued right now; nothing was sent. Try again in a minute.")
    return len(emails)


def reminders_send(*, emails: list[list]) -> int:
    """Send queued reminders (run by a worker). Returns how many the mail server took."""
    return send_mass_mail([tuple(email) for email in emails], fail_silently=False)
