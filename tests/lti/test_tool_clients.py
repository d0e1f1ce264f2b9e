"""The tool's HTTP clients against the test platform and the fake Canvas (no database).

`courseproj.lti.nrps` reads every NRPS page (the URL's capitals kept), and
`courseproj.lti.canvas.push_circles` makes Canvas hold the circles, with no
write the second time.
"""

import pytest
from cryptography.hazmat.primitives import serialization
from pylti1p3.registration import Registration

from courseproj.courses.models import Role
from courseproj.lti import canvas, nrps
from courseproj.lti.roles import course_role
from tests.lti import platform as lti


def registration_for(platform, key) -> Registration:
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    platform.tool_jwks = {"keys": [Registration.get_jwk(public_pem)]}
    registration = Registration().set_client_id(platform.client_id).set_issuer(platform.issuer)
    registration.set_auth_token_url(platform.token_url).set_key_set_url(platform.jwks_url)
    return registration.set_tool_private_key(lti.private_pem(key)).set_tool_public_key(public_pem)


def test_nrps_reads_250_members_over_3_pages(lti_platform):
    members, pages = nrps.fetch_members(registration_for(lti_platform, lti.new_rsa_key()), lti_platform.memberships_url())
    assert pages == 3 and len(members) == 250
    assert [r["page"] for r in lti_platform.nrps_requests] == [1, 2, 3]


def test_nrps_reports_a_refused_token(lti_platform):
    registration = registration_for(lti_platform, lti.new_rsa_key())
    lti_platform.tool_jwks = {"keys": [lti.public_jwk(lti.new_rsa_key(), "someone-else")]}
    with pytest.raises(nrps.NrpsError, match="access token"):
        nrps.fetch_members(registration, lti_platform.memberships_url())


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([lti.ROLE_INSTRUCTOR], Role.INSTRUCTOR),
        ([lti.ROLE_TA], Role.TA),
        ([lti.ROLE_INSTRUCTOR, lti.ROLE_TA], Role.TA),
        ([lti.ROLE_LEARNER, lti.ROLE_INSTITUTION_STUDENT], Role.STUDENT),
        (["Learner"], Role.STUDENT),
        ([lti.ROLE_INSTITUTION_ADMIN], None),
        ([lti.ROLE_SYSTEM_ADMIN], None),
        ([lti.ROLE_MENTOR], None),
        ([lti.ROLE_CONTENT_DEVELOPER], None),
        (["http://example.com/vocab#Instructor", "Instructor-ish"], None),
        ([], None),
        (None, None),
    ],
)
def test_roles_map_only_what_the_platform_states(roles, expected):
    assert course_role(roles) == expected


def test_push_twice_gives_the_same_groups_and_no_write_the_second_time(fake_canvas, lti_platform):
    students = [lti_platform.student(n) for n in range(23)]
    circles = {f"Circle {n + 1}": [s.user_id for s in students[n * 4 : n * 4 + 4]] for n in range(6)}
    client = canvas.CanvasClient(fake_canvas.url, fake_canvas.token)

    first = canvas.push_circles(client, course_id=fake_canvas.course_id, category_name="courseproj circles", circles=circles)
    assert first.created_category and len(first.created_groups) == 6 and first.added == 23
    state = fake_canvas.end_state()
    writes = len(fake_canvas.writes())

    second = canvas.push_circles(
        client, course_id=fake_canvas.course_id, category_name="courseproj circles", circles=circles, known_ids=first.canvas_ids
    )
    assert second.writes == 0 and len(fake_canvas.writes()) == writes
    assert fake_canvas.end_state() == state
    canvas_id = {u["lti_1_3_id"]: u["id"] for u in fake_canvas.users.values()}
    assert state["courseproj circles"]["Circle 1"] == sorted(canvas_id[s] for s in circles["Circle 1"])

    # Without the remembered ids (a lost record) the end state is still the same.
    canvas.push_circles(client, course_id=fake_canvas.course_id, category_name="courseproj circles", circles=circles)
    assert fake_canvas.end_state() == state


def test_push_moves_and_removes_after_the_circles_changed(fake_canvas, lti_platform):
    a, b, c = (lti_platform.student(n).user_id for n in range(3))
    client = canvas.CanvasClient(fake_canvas.url, fake_canvas.token)
    first = canvas.push_circles(client, course_id=fake_canvas.course_id, category_name="circles", circles={"Iris": [a, b], "Wine": [c]})
    report = canvas.push_circles(
        client, course_id=fake_canvas.course_id, category_name="circles", circles={"Iris": [a], "Wine": [b]}, known_ids=first.canvas_ids
    )
    ids = first.canvas_ids
    assert fake_canvas.end_state()["circles"] == {"Iris": [ids[a]], "Wine": [ids[b]]}
    assert (report.added, report.removed) == (1, 1)


def test_push_reports_a_bad_token_and_unknown_people(fake_canvas, lti_platform):
    with pytest.raises(canvas.CanvasError, match="access token"):
        canvas.push_circles(
            canvas.CanvasClient(fake_canvas.url, "wrong"), course_id=fake_canvas.course_id, category_name="x", circles={}
        )
    client = canvas.CanvasClient(fake_canvas.url, fake_canvas.token)
    report = canvas.push_circles(
        client, course_id=fake_canvas.course_id, category_name="x", circles={"Iris": ["not-in-canvas", lti_platform.student().user_id]}
    )
    assert report.not_found == ["not-in-canvas"] and report.added == 1
