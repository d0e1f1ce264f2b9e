"""Every course-scoped URL answers 404 to someone outside the course.

The walk covers every URL pattern of the project: a new course-scoped view is
tested automatically, and a new URL that is neither course-scoped nor listed
as public below makes this test fail until someone decides which it is.
"""
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from courseproj.courses.models import Membership
from matching.models import MatchRun
from tests import factories

# Views outside any course: who may use them is decided by login alone.
PUBLIC_URL_NAMES = {"home", "course_create", "join_by_code", "join_link", "health"}
# The LMS's doors (tests/lti/test_launch_security.py); the configuration page is for Django staff only.
PUBLIC_URL_NAMES |= {"lti_login", "lti_launch", "lti_deep_link", "lti_jwks", "lti_config"}
# The projector's pages: the secret link is the key (tests/matching/test_live.py, test_live_streams.py).
TOKEN_URL_NAMES = {"display", "display_board", "display_qr", "display_stream"}
PUBLIC_PREFIXES = ("accounts/", "admin/")


def _walk(patterns, prefix="", converters=()):
    """Yield (route, pattern, names of the URL's arguments) for every pattern."""
    for pattern in patterns:
        names = converters + tuple(pattern.pattern.converters)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), names)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern, names


def _course_scoped():
    found = []
    for route, pattern, _ in _walk(get_resolver().url_patterns):
        if route.startswith(PUBLIC_PREFIXES):
            continue
        if "<id:course_id>" in route:
            found.append(pattern.name)
            continue
        assert pattern.name in PUBLIC_URL_NAMES | TOKEN_URL_NAMES, f"{route} is neither course-scoped nor listed as public"
    return found


COURSE_SCOPED = _course_scoped()


def test_the_walk_found_the_course_views():
    assert {"course_detail", "catalog", "dataset_detail", "interests", "members"} <= set(COURSE_SCOPED)


@pytest.fixture
def kwargs_for(course, dataset, student):
    member = Membership.objects.get(course=course, user=student)
    run = MatchRun.objects.create(course=course, min_size=2, result={"assignments": {}, "circles": {}})
    values = {"course_id": course.pk, "dataset_id": dataset.pk, "member_id": member.pk, "run_id": run.pk}
    milestone = factories.PlanMilestoneFactory(plan__assignment__course=course, plan__student=student)
    values |= {"assignment_id": milestone.plan.assignment_id, "plan_id": milestone.plan_id, "milestone_id": milestone.pk}

    def build(name):
        names = next(n for _, p, n in _walk(get_resolver().url_patterns) if p.name == name)
        return {key: values[key] for key in names}

    return build


@pytest.mark.parametrize("name", COURSE_SCOPED)
@pytest.mark.reliability(30)
def test_outsider_gets_404(name, client_for, outsider, kwargs_for):
    url = reverse(name, kwargs=kwargs_for(name))
    client = client_for(outsider)
    statuses = {client.get(url).status_code, client.post(url, {}).status_code}
    # 405 only for the method the view does not take; the one it takes is a 404.
    assert 404 in statuses and statuses <= {404, 405}, f"{url}: {statuses}"


@pytest.mark.parametrize("name", COURSE_SCOPED)
def test_anonymous_visitor_is_sent_to_login(name, client, kwargs_for):
    response = client.get(reverse(name, kwargs=kwargs_for(name)))
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("account_login"))
