"""A new course's overview shows the instructor a checklist of next steps (issue 11, item 8)."""
from django.urls import reverse

from courseproj.courses.selectors import course_next_steps
from matching import services as matching
from tests import factories


def _done(course) -> dict[str, bool]:
    return {step.text: step.done for step in course_next_steps(course=course)}


def test_a_new_course_lists_every_step_as_open(client_for, course, instructor):
    assert _done(course) == {"Add datasets to the catalog": False, "Create a project assignment": False,
                             "Share the join code: students joined": False, "Open the in-class activity": False}
    html = client_for(instructor).get(reverse("course_detail", args=[course.pk])).content.decode()
    assert "Next steps" in html
    assert f'<a href="{reverse("catalog", args=[course.pk])}">Add datasets to the catalog</a>' in html
    assert f'<a href="{reverse("activity", args=[course.pk])}">Open the in-class activity</a>' in html


def test_steps_tick_off_as_the_course_gets_going_and_the_list_goes_away(client_for, course, instructor, student):
    factories.DatasetFactory(course=course)
    done = _done(course)
    assert done["Add datasets to the catalog"] and done["Share the join code: students joined"]
    assert not done["Create a project assignment"]
    factories.ProjectAssignmentFactory(course=course)
    matching.activity_open(course=course, minutes=5)
    assert course_next_steps(course=course) == []
    html = client_for(instructor).get(reverse("course_detail", args=[course.pk])).content.decode()
    assert "Next steps" not in html


def test_students_do_not_see_the_checklist(client_for, course, student):
    assert "Next steps" not in client_for(student).get(reverse("course_detail", args=[course.pk])).content.decode()
