"""Choice menus: every rule of Homework 9 (two from two categories, or the alternative track)."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courseproj.planner import services as planner
from courseproj.courses.models import Membership
from courseproj.planner.models import ChoiceOption, ChoicePick, Plan, PlanStatus
from courseproj.planner.services import PickRule, parse_menu_outline, pick_errors
from tests import factories

TWO_FROM_TWO = PickRule(count=2, distinct_categories=True, has_alternative=True)


# --- the rule itself, without a database ---


def test_two_from_two_categories_is_accepted():
    assert pick_errors(rule=TWO_FROM_TWO, picked=[("Saving models", "Recipes"), ("Transfer learning", "Image")],
                       alternative=False) == []


def test_too_few_says_how_many_and_mentions_the_alternative():
    assert pick_errors(rule=TWO_FROM_TWO, picked=[("Saving models", "Recipes")], alternative=False) == [
        "Pick 2 (or take the alternative track); you picked 1."
    ]


def test_nothing_picked_is_too_few():
    assert pick_errors(rule=TWO_FROM_TWO, picked=[], alternative=False) == [
        "Pick 2 (or take the alternative track); you picked 0."
    ]


def test_too_many_says_how_many_to_uncheck():
    picked = [("A", "Recipes"), ("B", "Image"), ("C", "Text")]
    assert pick_errors(rule=TWO_FROM_TWO, picked=picked, alternative=False) == [
        "Pick exactly 2; you picked 3. Uncheck 1."
    ]


def test_two_from_the_same_category_names_both_and_the_category():
    errors = pick_errors(rule=TWO_FROM_TWO, picked=[("Saving models", "Recipes"), ("state_dict", "Recipes")],
                         alternative=False)
    assert errors == ["Pick each from a different category: “Saving models” and “state_dict” are both in “Recipes”."]


def test_same_category_is_fine_when_the_rule_does_not_ask_for_different_ones():
    rule = PickRule(count=2, distinct_categories=False, has_alternative=False)
    assert pick_errors(rule=rule, picked=[("A", "Recipes"), ("B", "Recipes")], alternative=False) == []


def test_alternative_track_alone_is_accepted():
    assert pick_errors(rule=TWO_FROM_TWO, picked=[], alternative=True) == []


def test_alternative_track_and_picks_together_are_refused():
    errors = pick_errors(rule=TWO_FROM_TWO, picked=[("A", "Recipes")], alternative=True)
    assert errors and "either the alternative track or 2 from the menu, not both" in errors[0]


def test_alternative_track_is_refused_where_there_is_none():
    rule = PickRule(count=2, distinct_categories=True, has_alternative=False)
    assert pick_errors(rule=rule, picked=[], alternative=True) == [
        "This assignment has no alternative track: pick from the menu."
    ]


def test_too_few_without_an_alternative_does_not_mention_one():
    rule = PickRule(count=1, distinct_categories=False, has_alternative=False)
    assert pick_errors(rule=rule, picked=[], alternative=False) == ["Pick 1; you picked 0."]


# --- the menu outline ---


def test_outline_reads_categories_notes_options_and_links():
    outline = parse_menu_outline(
        "PyTorch Recipes: lots of good options\n- Saving and loading https://pytorch.org/a\n\n* What is a state_dict?\nText\n- RNN names"
    )
    assert [(c.name, c.note, c.options) for c in outline] == [
        ("PyTorch Recipes", "lots of good options", (("Saving and loading", "https://pytorch.org/a"), ("What is a state_dict?", ""))),
        ("Text", "", (("RNN names", ""),)),
    ]


@pytest.mark.parametrize("text, message", [
    ("- orphan option\nRecipes\n- a", "Line 1: an option must come below its category."),
    ("Recipes\n- a\n- a", "Line 3: “a” is listed twice in “Recipes”."),
    ("Recipes\n- a\nRecipes\n- b", "Line 3: the category “Recipes” appears twice."),
    ("Recipes\nText\n- a", "The category “Recipes” has no options"),
    ("", "List at least one category with its options."),
    ("Recipes\n-   \n- a", "Line 2: the option has no title."),
])
def test_outline_problems_name_the_line(text, message):
    with pytest.raises(ValidationError) as raised:
        parse_menu_outline(text)
    assert any(m.startswith(message) for m in raised.value.messages), raised.value.messages


# --- picks through the plan page ---


@pytest.fixture
def hw_plan(homework9, student):
    return factories.PlanFactory(assignment=homework9, student=student)


def options(assignment, *titles):
    found = {o.title: o for o in ChoiceOption.objects.filter(category__menu__assignment=assignment)}
    return [found[t] for t in titles]


def choose(plan, picked, *, alternative=False, reflections=None):
    """Save picks through the service, as the plan page does."""
    by = Membership.objects.select_related("course", "user").get(course=plan.assignment.course, user=plan.student)
    return planner.plan_save(plan=plan, by=by, answers={}, dataset_id=None, picks=planner.Picks(
        [o.pk for o in picked], {o.pk: text for o, text in (reflections or {}).items()}, alternative))


def post_picks(client, plan, picked, track="menu", reflections=None, submit=False):
    data = {"track": track, **{f"option_{o.pk}": "on" for o in picked}}
    data.update({f"reflection_{o.pk}": text for o, text in (reflections or {}).items()})
    name = "plan_submit" if submit else "plan_detail"
    return client.post(reverse(name, args=[plan.assignment.course_id, plan.pk]), data, follow=True)


def test_homework9_menu_has_the_seed_categories(homework9):
    menu = homework9.menu
    assert menu.rule_text == ("Pick 2 resources from 2 different categories, or take the alternative track: "
                              "The classifier-from-scratch mini-project.")
    assert [c.name for c in menu.categories.all()][:3] == ["PyTorch Recipes", "Introduction to PyTorch", "Introduction on YouTube"]


def test_student_picks_two_from_two_categories_with_reflections(client_for, student, hw_plan):
    a, b = options(hw_plan.assignment, "Saving and loading models", "Transfer learning for computer vision")
    html = post_picks(client_for(student), hw_plan, [a, b], reflections={a: "I learnt state_dicts."}).content.decode()
    assert "Plan saved as a draft." in html and "do not meet the rule" not in html
    assert dict(ChoicePick.objects.filter(plan=hw_plan).values_list("option__title", "reflection")) == {
        "Saving and loading models": "I learnt state_dicts.", "Transfer learning for computer vision": ""}


def test_two_from_one_category_are_kept_as_a_draft_with_a_clear_warning_and_cannot_be_submitted(client_for, student, hw_plan):
    a, b = options(hw_plan.assignment, "Saving and loading models", "Defining a neural network")
    client = client_for(student)
    html = post_picks(client, hw_plan, [a, b]).content.decode()
    assert ("Your choices do not meet the rule yet: Pick each from a different category: “Saving and loading models” "
            "and “Defining a neural network” are both in “PyTorch Recipes”.") in html
    assert ChoicePick.objects.filter(plan=hw_plan).count() == 2
    html = post_picks(client, hw_plan, [a, b], reflections={a: "x", b: "y"}, submit=True).content.decode()
    assert "Plan saved, but not submitted yet" in html and "are both in “PyTorch Recipes”" in html
    hw_plan.refresh_from_db()
    assert hw_plan.status == PlanStatus.DRAFT


def test_three_picks_get_a_warning(client_for, student, hw_plan):
    picked = options(hw_plan.assignment, "Saving and loading models", "Transfer learning for computer vision",
                     "Reinforcement learning (DQN)")
    assert "Pick exactly 2; you picked 3. Uncheck 1." in post_picks(client_for(student), hw_plan, picked).content.decode()


def test_one_pick_gets_a_warning_that_mentions_the_alternative(client_for, student, hw_plan):
    picked = options(hw_plan.assignment, "Saving and loading models")
    assert "Pick 2 (or take the alternative track); you picked 1." in post_picks(client_for(student), hw_plan, picked).content.decode()


def test_alternative_track_replaces_earlier_picks(client_for, student, hw_plan):
    client = client_for(student)
    post_picks(client, hw_plan, options(hw_plan.assignment, "Saving and loading models", "Deploying with Flask"))
    html = post_picks(client, hw_plan, [], track="alternative").content.decode()
    assert "Plan saved as a draft." in html and "do not meet the rule" not in html
    hw_plan.refresh_from_db()
    assert hw_plan.takes_alternative and not hw_plan.picks.exists()


def test_alternative_track_with_picks_cannot_be_submitted(client_for, student, hw_plan):
    picked = options(hw_plan.assignment, "Saving and loading models")
    html = post_picks(client_for(student), hw_plan, picked, track="alternative", reflections={picked[0]: "x"},
                      submit=True).content.decode()
    assert "Choose either the alternative track or 2 from the menu, not both" in html
    hw_plan.refresh_from_db()
    assert hw_plan.status == PlanStatus.DRAFT


def test_alternative_track_is_ignored_where_the_menu_has_none(course, student):
    menu = factories.ChoiceMenuFactory(assignment__course=course, alternative_label="", pick_count=1)
    option = factories.ChoiceOptionFactory(category__menu=menu)
    plan = factories.PlanFactory(assignment=menu.assignment, student=student)
    assert choose(plan, [], alternative=True) == ["This assignment has no alternative track: pick from the menu."]
    plan.refresh_from_db()
    assert not plan.takes_alternative
    assert choose(plan, [option]) == []


def test_an_option_of_another_assignments_menu_is_refused_and_nothing_is_saved(student, hw_plan):
    foreign = factories.ChoiceOptionFactory()
    mine = options(hw_plan.assignment, "Saving and loading models")[0]
    with pytest.raises(ValidationError, match="not on this assignment's menu"):
        choose(hw_plan, [mine, foreign])
    assert not ChoicePick.objects.exists()


def test_submit_needs_every_reflection_then_goes_through(client_for, course, student, hw_plan):
    client = client_for(student)
    a, b = options(hw_plan.assignment, "Learn the Basics (the whole series)", "Transfer learning for computer vision")
    html = post_picks(client, hw_plan, [a, b], reflections={a: "Skimmed it; autograd was new."}, submit=True).content.decode()
    assert "Write your reflection on “Transfer learning for computer vision”." in html
    post_picks(client, hw_plan, [a, b], reflections={a: "Skimmed it.", b: "Fine-tuned ResNet on ants and bees."}, submit=True)
    hw_plan.refresh_from_db()
    assert hw_plan.status == PlanStatus.SUBMITTED


def test_alternative_track_submits_without_reflections(client_for, student, hw_plan):
    post_picks(client_for(student), hw_plan, [], track="alternative", submit=True)
    hw_plan.refresh_from_db()
    assert hw_plan.status == PlanStatus.SUBMITTED


def test_picks_are_locked_once_submitted(course, student, hw_plan):
    choose(hw_plan, [], alternative=True)
    planner.plan_submit(plan=hw_plan, by=Membership.objects.get(course=course, user=student))
    a, b = options(hw_plan.assignment, "Saving and loading models", "Deploying with Flask")
    with pytest.raises(ValidationError, match="waiting for approval"):
        choose(hw_plan, [a, b])
    assert not ChoicePick.objects.exists()


def test_reflection_with_a_nul_byte_is_a_form_error_and_nothing_is_saved(client_for, student, hw_plan):
    a, b = options(hw_plan.assignment, "Saving and loading models", "Deploying with Flask")
    response = post_picks(client_for(student), hw_plan, [a, b], reflections={a: "bad\x00byte"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved" in html and "Null characters are not allowed" in html
    assert not ChoicePick.objects.exists()


# --- the instructor's side of the menu ---


def test_instructor_edits_the_menu_and_picks_survive(client_for, course, instructor, student, hw_plan):
    a, b = options(hw_plan.assignment, "Saving and loading models", "Deploying with Flask")
    choose(hw_plan, [a, b])
    outline = planner.menu_outline(hw_plan.assignment.menu) + "\nAudio\n- Speech command classification"
    response = client_for(instructor).post(reverse("menu_edit", args=[course.pk, hw_plan.assignment_id]), {
        "outline": outline, "pick_count": 2, "distinct_categories": "on",
        "alternative_label": "The classifier-from-scratch mini-project",
    }, follow=True)
    assert "Choice menu saved." in response.content.decode()
    assert ChoicePick.objects.filter(plan=hw_plan).count() == 2
    assert ChoiceOption.objects.filter(title="Speech command classification").exists()


def test_removing_an_option_someone_picked_is_refused(client_for, course, instructor, student, hw_plan):
    a, b = options(hw_plan.assignment, "Saving and loading models", "Deploying with Flask")
    choose(hw_plan, [a, b])
    outline = planner.menu_outline(hw_plan.assignment.menu).replace("- Deploying with Flask", "- Deploying (renamed)")
    response = client_for(instructor).post(reverse("menu_edit", args=[course.pk, hw_plan.assignment_id]),
                                           {"outline": outline, "pick_count": 2, "distinct_categories": "on"})
    assert response.status_code == 200
    assert "Students already picked “Deploying with Flask”" in response.content.decode()
    assert ChoiceOption.objects.filter(title="Deploying with Flask").exists()
    assert not ChoiceOption.objects.filter(title="Deploying (renamed)").exists()


def test_a_rule_nobody_can_meet_is_refused(client_for, course, instructor, homework9):
    response = client_for(instructor).post(reverse("menu_edit", args=[course.pk, homework9.pk]), {
        "outline": "Recipes\n- a\n- b\n- c", "pick_count": 2, "distinct_categories": "on"})
    assert "Nobody can pick 2 from different categories: the menu has 1." in response.content.decode()


def test_students_and_tas_cannot_edit_the_menu(client_for, course, student, homework9):
    url = reverse("menu_edit", args=[course.pk, homework9.pk])
    assert client_for(student).get(url).status_code == 403
    ta = factories.MembershipFactory(course=course, role="ta").user
    assert client_for(ta).post(url, {"outline": "A\n- b", "pick_count": 1}).status_code == 403


def test_instructor_sees_who_picked_what_and_how_often(client_for, course, instructor, student, classmate, homework9):
    a, b, c = options(homework9, "Saving and loading models", "Deploying with Flask", "Transfer learning for computer vision")
    for user, picked in ((student, [a, b]), (classmate, [a, c])):
        choose(factories.PlanFactory(assignment=homework9, student=user), picked)
    html = client_for(instructor).get(reverse("assignment_detail", args=[course.pk, homework9.pk])).content.decode()
    assert "<th scope=\"row\">Saving and loading models</th><td>2</td><td>Cleo Classmate, Sam Student</td>" in html
    assert "How often each option was picked" in html
    assert Plan.objects.count() == 2
