"""Launching courseproj from the LMS: signed in, joined with the stated role, and every bad launch refused with nothing created."""
import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from lti_tool.models import LtiDeployment

from courseproj.courses.models import Course, Membership, Role
from courseproj.lti.models import LtiCourseLink, LtiIdentity, LtiNonce
from tests.lti import platform as lti
from tests.lti.launching import begin, launch, post_token
from tests.lti.platform import parse_form

User = get_user_model()


def counts() -> dict[str, int]:
    models = [User, Course, Membership, LtiIdentity, LtiCourseLink, LtiNonce, EmailAddress, LtiDeployment]
    return {m.__name__: m.objects.count() for m in models}


def test_first_instructor_launch_creates_and_links_the_course(client, tool):
    instructor = tool.instructor()
    response = launch(client, tool, instructor)
    link = LtiCourseLink.objects.get()
    assert response.status_code == 303 and response["Location"] == f"/c/{link.course_id}/"
    assert link.course.title == tool.context_title and link.context_id == tool.context_id
    assert link.memberships_url == tool.memberships_url()
    user = User.objects.get(email=instructor.email)
    assert user.name == instructor.name and not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert Membership.objects.get(user=user, course=link.course).role == Role.INSTRUCTOR
    assert client.get(f"/c/{link.course_id}/").status_code == 200  # signed in


def test_student_launch_joins_the_linked_course_with_no_sign_up(client, tool):
    launch(client, tool, tool.instructor())
    client.logout()
    student = tool.student(3)
    response = launch(client, tool, student)
    course = LtiCourseLink.objects.get().course
    assert response.status_code == 303 and response["Location"] == f"/c/{course.pk}/interests/"
    user = User.objects.get(email=student.email.lower())
    assert Membership.objects.get(user=user).role == Role.STUDENT
    # Launching again signs the same account in.
    client.logout()
    launch(client, tool, student)
    assert User.objects.filter(email=student.email.lower()).count() == 1
    assert LtiIdentity.objects.get(sub=student.user_id).user == user


def test_ta_launch_gets_the_ta_role_and_roles_follow_each_launch(client, tool):
    launch(client, tool, tool.instructor())
    ta = tool.person("ta-001")
    launch(client, tool, ta)
    membership = Membership.objects.get(user__email=ta.email)
    assert membership.role == Role.TA
    launch(client, tool, ta, roles=[lti.ROLE_LEARNER])
    membership.refresh_from_db()
    assert membership.role == Role.STUDENT


def test_student_launch_into_an_unlinked_course_is_refused(client, tool):
    before = counts()
    response = launch(client, tool, tool.student())
    assert response.status_code == 403
    assert b"has not opened courseproj" in response.content
    assert counts() == before


def test_launch_without_an_email_claim_makes_an_account_with_the_name(client, tool):
    instructor = tool.instructor()
    launch(client, tool, instructor, email=None)
    user = LtiIdentity.objects.get(sub=instructor.user_id).user
    assert user.email.endswith("@users.invalid") and user.display_name == instructor.name


def test_a_launch_never_signs_in_a_django_staff_account(client, tool):
    instructor = tool.instructor()
    User.objects.create_user(instructor.email, password="x", is_staff=True)
    before = counts()
    response = launch(client, tool, instructor)
    assert response.status_code == 403 and b"administrator" in response.content
    assert counts() == before


# --- security: each refused, nothing created ---


@pytest.mark.parametrize(
    "attack", ["forged_signature", "tampered_roles", "wrong_audience", "expired", "unknown_deployment", "wrong_issuer", "no_signature"]
)
def test_bad_tokens_are_refused_and_create_nothing(client, tool, attack):
    launch(client, tool, tool.instructor())  # the course exists: a refusal is not "unlinked"
    client.logout()
    before = counts()
    student = tool.student()
    auth = begin(client, tool, student)
    response = post_token(client, auth, tool.attacks(student, nonce=auth["nonce"])[attack])
    assert response.status_code == 403, attack
    assert b"courseproj could not open" in response.content
    assert counts() == before
    assert not client.session.get("_auth_user_id")


def test_a_replayed_launch_is_refused(client, tool):
    launch(client, tool, tool.instructor())
    before = counts()
    response = client.post("/lti/launch/", tool.form_posts[-1].fields)
    assert response.status_code == 403 and b"already used" in response.content
    assert counts() == before


def test_a_launch_with_a_nonce_we_never_issued_is_refused(client, tool):
    instructor = tool.instructor()
    auth = begin(client, tool, instructor)
    before = counts()
    response = post_token(client, auth, tool.id_token(instructor, nonce="made-up"))
    assert response.status_code == 403 and counts() == before


def test_a_launch_without_the_state_cookie_is_refused(client, tool):
    instructor = tool.instructor()
    post = tool.authorize(begin(client, tool, instructor))
    client.cookies.clear()
    before = counts()
    response = client.post("/lti/launch/", post.fields)
    assert response.status_code == 403 and counts() == before


def test_an_inactive_deployment_is_refused(client, tool):
    LtiDeployment.objects.update(is_active=False)
    before = counts()
    assert launch(client, tool, tool.instructor()).status_code == 403
    assert counts() == before


def test_a_second_audience_needs_our_azp(client, tool):
    instructor = tool.instructor()
    auth = begin(client, tool, instructor)
    token = tool.id_token(instructor, nonce=auth["nonce"], aud=[tool.client_id, "other-tool"], azp="other-tool")
    before = counts()
    assert post_token(client, auth, token).status_code == 403
    assert counts() == before


@pytest.mark.parametrize("name", ["institution_admin", "mentor", "content_developer", "no_roles", "look_alike"])
def test_unmapped_roles_are_refused_and_create_nothing(client, tool, name):
    launch(client, tool, tool.instructor())
    client.logout()
    before = counts()
    student = tool.student()
    auth = begin(client, tool, student)
    response = post_token(client, auth, tool.escalations(student, nonce=auth["nonce"])[name])
    assert response.status_code == 403, name
    assert counts() == before


@pytest.mark.parametrize("name", ["system_admin", "custom_role_claim", "target_link_query"])
def test_escalation_attempts_get_only_the_stated_learner_role(client, tool, name):
    launch(client, tool, tool.instructor())
    client.logout()
    student = tool.student()
    auth = begin(client, tool, student)
    response = post_token(client, auth, tool.escalations(student, nonce=auth["nonce"])[name])
    assert response.status_code == 303
    assert Membership.objects.get(user__email=student.email.lower()).role == Role.STUDENT


def test_login_from_an_unregistered_platform_is_refused(client, tool):
    _, params = tool.login_initiation(tool.instructor())
    response = client.post("/lti/login/", {**params, "iss": "https://lms.attacker.example"})
    assert response.status_code == 400 and b"not registered" in response.content


# --- deep linking, key set, configuration ---


def test_deep_linking_places_a_link_the_platform_accepts(client, tool):
    instructor = tool.instructor()
    response = launch(client, tool, instructor, message_type="LtiDeepLinkingRequest")
    assert response.status_code == 200 and b"Place courseproj" in response.content
    answer = client.post("/lti/deep-link/")
    form = parse_form(answer.content.decode())
    assert form.action == tool.deep_link_return_url
    assert tool.deep_link_return_url in answer["Content-Security-Policy"]
    claims = tool.receive_deep_link_response(form.fields["JWT"])
    item = claims[lti.CLAIM_DL_CONTENT_ITEMS][0]
    assert item["type"] == "ltiResourceLink" and item["url"] == tool.tool_launch_url
    assert client.post("/lti/deep-link/").status_code == 403  # used once


def test_a_student_cannot_place_the_tool(client, tool):
    launch(client, tool, tool.instructor())
    client.logout()
    response = launch(client, tool, tool.student(), message_type="LtiDeepLinkingRequest")
    assert response.status_code == 403


def test_jwks_publishes_public_keys_only(client, tool):
    keys = client.get("/lti/jwks/").json()["keys"]
    assert keys and all("d" not in k and k["alg"] == "RS256" for k in keys)


def test_configuration_page_is_for_django_staff(client, tool, client_for, outsider, instructor):
    """A site-wide page (the tool's URLs, then the admin's registrations): a course's instructor is not enough."""
    assert client_for(outsider).get("/lti/config/").status_code == 404
    assert client_for(instructor).get("/lti/config/").status_code == 404
    assert client.get("/lti/config/").status_code == 404
    admin = User.objects.create_user("admin@example.com", password="x", is_staff=True)
    page = client_for(admin).get("/lti/config/")
    assert page.status_code == 200
    assert b"http://testserver/lti/login/" in page.content and b"http://testserver/lti/jwks/" in page.content


def test_a_token_valid_for_longer_than_nonces_are_kept_is_refused(client, tool):
    import time

    instructor = tool.instructor()
    auth = begin(client, tool, instructor)
    before = counts()
    token = tool.id_token(instructor, nonce=auth["nonce"], exp=int(time.time()) + 3 * 86400)
    assert post_token(client, auth, token).status_code == 403
    assert counts() == before


def test_old_nonces_are_pruned(client, tool):
    from datetime import timedelta

    from django.utils import timezone

    from courseproj.lti.services import lti_nonces_prune

    launch(client, tool, tool.instructor())
    launch(client, tool, tool.instructor())
    LtiNonce.objects.filter(pk=LtiNonce.objects.first().pk).update(used_at=timezone.now() - timedelta(days=2))
    assert lti_nonces_prune() == 1 and LtiNonce.objects.count() == 1
