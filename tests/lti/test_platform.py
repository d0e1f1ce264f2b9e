"""The test LTI platform and the fake Canvas work as an LMS does (no Django, no database).

These prove the fakes, so a failing tool test points at the tool: id_tokens
verify against the served key set, the OIDC round trip answers with the tool's
state and nonce, the token endpoint checks the client assertion, NRPS pages
250 members over 3 pages, and the forged tokens really are forged.
"""

import time
import uuid

import jwt
import pytest
import requests
from jwcrypto.jwk import JWK

from tests.lti import platform as lti
from tests.lti.platform import Platform, PlatformError, parse_form, parse_query

TOOL = "http://tool.test"


@pytest.fixture
def tool_key():
    return lti.new_rsa_key()


@pytest.fixture
def platform(lti_platform: Platform, tool_key) -> Platform:
    lti_platform.tool_login_url = TOOL + "/lti/login/"
    lti_platform.tool_launch_url = TOOL + "/lti/launch/"
    lti_platform.deep_link_url = TOOL + "/lti/deep-link/"
    lti_platform.tool_jwks = {"keys": [lti.public_jwk(tool_key, "tool-key-1")]}
    return lti_platform


def client_assertion(platform: Platform, key, *, kid="tool-key-1", **overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": platform.client_id,
        "sub": platform.client_id,
        "aud": platform.token_url,
        "iat": now - 5,
        "exp": now + 60,
        "jti": "jti-" + uuid.uuid4().hex,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def token_request(platform: Platform, assertion: str, scope: str = lti.SCOPE_NRPS, **overrides):
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": lti.CLIENT_ASSERTION_TYPE,
        "client_assertion": assertion,
        "scope": scope,
        **overrides,
    }
    return requests.post(platform.token_url, data=form, timeout=10)


def access_token(platform: Platform, tool_key) -> str:
    response = token_request(platform, client_assertion(platform, tool_key))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def tool_auth_request(platform: Platform, login_params: dict, *, state="state-abc", nonce="nonce-xyz") -> dict:
    """What the tool sends the browser to after login initiation."""
    return {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": login_params["client_id"],
        "redirect_uri": login_params["target_link_uri"],
        "login_hint": login_params["login_hint"],
        "lti_message_hint": login_params["lti_message_hint"],
        "state": state,
        "nonce": nonce,
    }


# --- keys and id tokens ---


def test_jwks_is_served_and_an_id_token_verifies_against_it(platform):
    jwks = requests.get(platform.jwks_url, timeout=10).json()
    assert [k["kid"] for k in jwks["keys"]] == [platform.kid]
    assert "d" not in jwks["keys"][0], "the private exponent must never be published"

    student = platform.student()
    token = platform.id_token(student, nonce="n-1")
    key = jwt.PyJWKSet.from_dict(jwks)[platform.kid].key
    claims = jwt.decode(token, key, algorithms=["RS256"], audience=platform.client_id, issuer=platform.issuer)
    assert claims["sub"] == student.user_id
    assert claims["nonce"] == "n-1"
    assert claims[lti.CLAIM_ROLES] == [lti.ROLE_LEARNER]
    assert claims[lti.CLAIM_DEPLOYMENT_ID] == platform.deployment_id
    assert claims[lti.CLAIM_CONTEXT]["id"] == platform.context_id
    assert claims[lti.CLAIM_NRPS]["context_memberships_url"] == platform.memberships_url()
    assert claims["email"] == student.email and claims["given_name"] == student.given_name
    # jwcrypto (what PyLTI1p3 converts the key set with) reads the served key too.
    assert JWK(**jwks["keys"][0]).export_to_pem()


def test_forged_and_broken_tokens_do_not_verify(platform):
    student = platform.student()
    attacks = platform.attacks(student, nonce="n-2")
    key = jwt.PyJWKSet.from_dict(platform.jwks())[platform.kid].key

    def decode(token):
        return jwt.decode(token, key, algorithms=["RS256"], audience=platform.client_id, issuer=platform.issuer)

    for name in ("forged_signature", "tampered_roles"):
        with pytest.raises(jwt.InvalidSignatureError):
            decode(attacks[name])
    with pytest.raises(jwt.InvalidAudienceError):
        decode(attacks["wrong_audience"])
    with pytest.raises(jwt.ExpiredSignatureError):
        decode(attacks["expired"])
    with pytest.raises(jwt.InvalidIssuerError):
        decode(attacks["wrong_issuer"])
    with pytest.raises(jwt.InvalidAlgorithmError):
        decode(attacks["no_signature"])
    # Signed properly: only the deployment is wrong, which the tool must notice itself.
    assert decode(attacks["unknown_deployment"])[lti.CLAIM_DEPLOYMENT_ID] != platform.deployment_id


def test_escalation_tokens_are_validly_signed_and_state_no_staff_course_role(platform):
    student = platform.student()
    staff_roles = {lti.ROLE_INSTRUCTOR, lti.ROLE_TA}
    for name, token in platform.escalations(student, nonce="n-3").items():
        claims = platform.verify(token)
        assert not staff_roles & set(claims[lti.CLAIM_ROLES]), name


# --- the OIDC third-party-initiated login ---


def test_login_initiation_then_auth_answers_with_the_tools_state_and_nonce(platform):
    instructor = platform.instructor()
    page = requests.get(platform.launch_url(instructor), timeout=10)
    initiation = parse_form(page.text)
    assert initiation.action == platform.tool_login_url
    assert initiation.fields["iss"] == platform.issuer
    assert initiation.fields["login_hint"] == instructor.user_id
    assert initiation.fields["target_link_uri"] == platform.tool_launch_url
    assert initiation.fields["client_id"] == platform.client_id
    assert initiation.fields["lti_deployment_id"] == platform.deployment_id

    auth = tool_auth_request(platform, initiation.fields, state="state-123", nonce="nonce-456")
    answer = requests.get(platform.auth_url, params=auth, timeout=10)
    assert answer.status_code == 200
    post = parse_form(answer.text)
    assert post.action == platform.tool_launch_url
    assert post.fields["state"] == "state-123"
    claims = platform.verify(post.fields["id_token"])
    assert claims["nonce"] == "nonce-456"
    assert claims["sub"] == instructor.user_id
    assert claims[lti.CLAIM_ROLES] == [lti.ROLE_INSTRUCTOR]
    assert platform.form_posts[-1] == post  # a replay test re-sends this


def test_auth_refuses_what_a_platform_refuses(platform):
    student = platform.student()

    def fresh():
        _, params = platform.login_initiation(student)
        return tool_auth_request(platform, params)

    bad = {
        "unknown client": {**fresh(), "client_id": "someone-else"},
        "unregistered redirect": {**fresh(), "redirect_uri": "https://evil.example/steal"},
        "no nonce": {**fresh(), "nonce": ""},
        "implicit flow": {**fresh(), "response_type": "code"},
        "someone else's hint": {**fresh(), "login_hint": platform.instructor().user_id},
    }
    for name, params in bad.items():
        response = requests.get(platform.auth_url, params=params, timeout=10)
        assert response.status_code == 400, name
    # A launch is finished once: the same message hint twice is refused.
    params = fresh()
    platform.authorize(params)
    with pytest.raises(PlatformError):
        platform.authorize(params)


def test_deep_linking_launch_and_return(platform, tool_key):
    instructor = platform.instructor()
    _, params = platform.login_initiation(instructor, message_type="LtiDeepLinkingRequest")
    assert params["target_link_uri"] == platform.deep_link_url
    post = platform.authorize(tool_auth_request(platform, params))
    claims = platform.verify(post.fields["id_token"])
    settings = claims[lti.CLAIM_DEEP_LINKING_SETTINGS]
    assert claims[lti.CLAIM_MESSAGE_TYPE] == "LtiDeepLinkingRequest"
    assert settings["deep_link_return_url"] == platform.deep_link_return_url

    response_claims = {
        "iss": platform.client_id,
        "aud": [platform.issuer],
        "iat": int(time.time()),
        "exp": int(time.time()) + 600,
        "nonce": "dl-" + uuid.uuid4().hex,
        lti.CLAIM_MESSAGE_TYPE: "LtiDeepLinkingResponse",
        lti.CLAIM_VERSION: "1.3.0",
        lti.CLAIM_DEPLOYMENT_ID: platform.deployment_id,
        lti.CLAIM_DL_DATA: settings["data"],
        lti.CLAIM_DL_CONTENT_ITEMS: [{"type": "ltiResourceLink", "title": "courseproj", "url": platform.tool_launch_url}],
    }
    signed = jwt.encode(response_claims, tool_key, algorithm="RS256", headers={"kid": "tool-key-1"})
    assert requests.post(platform.deep_link_return_url, data={"JWT": signed}, timeout=10).status_code == 200
    assert platform.deep_link_responses[-1][lti.CLAIM_DL_CONTENT_ITEMS][0]["title"] == "courseproj"

    forged = jwt.encode(response_claims, lti.new_rsa_key(), algorithm="RS256", headers={"kid": "tool-key-1"})
    assert requests.post(platform.deep_link_return_url, data={"JWT": forged}, timeout=10).status_code == 401


# --- OAuth2 client credentials ---


def test_token_endpoint_grants_a_token_for_a_good_assertion(platform, tool_key):
    response = token_request(platform, client_assertion(platform, tool_key))
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"
    assert response.json()["scope"] == lti.SCOPE_NRPS


def test_token_endpoint_rejects_bad_assertions(platform, tool_key):
    other_key = lti.new_rsa_key()
    assertion = client_assertion(platform, tool_key)
    cases = {
        "signed by another key": token_request(platform, client_assertion(platform, other_key)),
        "unknown kid": token_request(platform, client_assertion(platform, tool_key, kid="nope")),
        "wrong audience": token_request(platform, client_assertion(platform, tool_key, aud="https://elsewhere/token")),
        "expired": token_request(platform, client_assertion(platform, tool_key, iat=1, exp=2)),
        "another client": token_request(platform, client_assertion(platform, tool_key, iss="x", sub="x")),
        "not a jwt": token_request(platform, "not-a-jwt"),
        "first use": token_request(platform, assertion),
        "replayed jti": token_request(platform, assertion),
        "wrong grant": token_request(platform, client_assertion(platform, tool_key), grant_type="password"),
    }
    statuses = {name: response.status_code for name, response in cases.items()}
    assert statuses == {
        "signed by another key": 401,
        "unknown kid": 401,
        "wrong audience": 401,
        "expired": 401,
        "another client": 401,
        "not a jwt": 401,
        "first use": 200,
        "replayed jti": 401,
        "wrong grant": 400,
    }


def test_pylti1p3_service_connector_gets_a_token(platform, tool_key):
    """The library the tool uses signs an assertion this platform accepts (key set by URL-less dict, kid by thumbprint)."""
    from pylti1p3.registration import Registration
    from pylti1p3.service_connector import ServiceConnector

    pem = lti.private_pem(tool_key)
    registration = Registration()
    registration.set_client_id(platform.client_id).set_issuer(platform.issuer)
    registration.set_auth_token_url(platform.token_url).set_key_set_url(platform.jwks_url)
    registration.set_tool_private_key(pem)
    public_pem = tool_key.public_key().public_bytes(
        lti.serialization.Encoding.PEM, lti.serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    registration.set_tool_public_key(public_pem)
    platform.tool_jwks = {"keys": [Registration.get_jwk(public_pem)]}
    token = ServiceConnector(registration).get_access_token([lti.SCOPE_NRPS])
    assert token


# --- Names and Role Provisioning ---


def test_nrps_pages_250_members_over_3_pages(platform, tool_key):
    token = access_token(platform, tool_key)
    url, pages, members = platform.memberships_url(), [], []
    while url:
        response = requests.get(
            url, headers={"Authorization": f"Bearer {token}", "Accept": lti.NRPS_MEDIA_TYPE}, timeout=10
        )
        assert response.status_code == 200
        assert response.headers["Content-Type"] == lti.NRPS_MEDIA_TYPE
        body = response.json()
        assert body["context"]["id"] == platform.context_id
        pages.append(len(body["members"]))
        members += body["members"]
        url = response.links.get("next", {}).get("url")
    assert pages == [100, 100, 50]
    assert len({m["user_id"] for m in members}) == 250
    statuses = [m["status"] for m in members]
    assert statuses.count("Inactive") == 5 and statuses.count("Active") == 245
    roles = [m["roles"][0] for m in members]
    assert roles.count(lti.ROLE_INSTRUCTOR) == 2 and roles.count(lti.ROLE_TA) == 4
    assert {"user_id", "name", "given_name", "family_name", "email", "roles", "status"} <= set(members[0])
    assert "CourseSection" in platform.memberships_url()  # capitals kept in every page's URL


def test_nrps_refuses_without_a_token_and_reflects_roster_changes(platform, tool_key):
    assert requests.get(platform.memberships_url(), timeout=10).status_code == 401
    token = access_token(platform, tool_key)
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(platform.memberships_url("Other-Course"), headers=headers, timeout=10).status_code == 404

    leaver = platform.student(0)
    leaver.status = "Inactive"
    platform.members.remove(platform.student(1))  # gone from the course altogether
    page = requests.get(platform.memberships_url(), params={"limit": 500}, headers=headers, timeout=10).json()
    by_id = {m["user_id"]: m for m in page["members"]}
    assert len(by_id) == 249 and by_id[leaver.user_id]["status"] == "Inactive"


def test_pylti1p3_pager_lowercases_the_next_url(platform, tool_key):
    """PyLTI1p3 2.0.0 lowercases the Link header before reading the next URL, so a
    membership URL with capitals (Moodle's ``CourseSection``) breaks on page 2. The
    tool must page NRPS itself (case kept); this test fails, as a reminder, once a
    PyLTI1p3 release fixes it."""
    from pylti1p3.exception import LtiServiceException
    from pylti1p3.names_roles import NamesRolesProvisioningService
    from pylti1p3.registration import Registration
    from pylti1p3.service_connector import ServiceConnector

    public_pem = tool_key.public_key().public_bytes(
        lti.serialization.Encoding.PEM, lti.serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    registration = Registration().set_client_id(platform.client_id).set_issuer(platform.issuer)
    registration.set_auth_token_url(platform.token_url)
    registration.set_tool_private_key(lti.private_pem(tool_key)).set_tool_public_key(public_pem)
    platform.tool_jwks = {"keys": [Registration.get_jwk(public_pem)]}
    nrps = NamesRolesProvisioningService(
        ServiceConnector(registration), {"context_memberships_url": platform.memberships_url()}
    )
    with pytest.raises(LtiServiceException):
        nrps.get_members()
    assert [r["page"] for r in platform.nrps_requests] == [1]


# --- the fake Canvas ---


def test_fake_canvas_behaves_like_canvas(fake_canvas, lti_platform):
    api = fake_canvas.url + "/api/v1"
    auth = {"Authorization": f"Bearer {fake_canvas.token}"}
    assert requests.get(f"{api}/courses/{fake_canvas.course_id}/group_categories", timeout=10).status_code == 401

    category = requests.post(
        f"{api}/courses/{fake_canvas.course_id}/group_categories", data={"name": "Dataset circles"}, headers=auth, timeout=10
    ).json()
    again = requests.post(
        f"{api}/courses/{fake_canvas.course_id}/group_categories", json={"name": "Dataset circles"}, headers=auth, timeout=10
    )
    assert again.status_code == 400  # a group set's name is unique in the course

    groups = [
        requests.post(f"{api}/group_categories/{category['id']}/groups", data={"name": f"Circle {n}"}, headers=auth, timeout=10).json()
        for n in range(1, 13)
    ]
    duplicate = requests.post(f"{api}/group_categories/{category['id']}/groups", data={"name": "Circle 1"}, headers=auth, timeout=10)
    assert duplicate.status_code == 200  # group names are not unique: pushing twice naively makes duplicates

    first = requests.get(f"{api}/group_categories/{category['id']}/groups", headers=auth, timeout=10)
    assert len(first.json()) == 10  # Canvas's default page
    rest = requests.get(first.links["next"]["url"], headers=auth, timeout=10)
    assert len(rest.json()) == 3 and "next" not in rest.links

    a, b = lti_platform.student(0), lti_platform.student(1)
    joined = requests.post(
        f"{api}/groups/{groups[0]['id']}/memberships", data={"user_id": f"lti_1_3_id:{a.user_id}"}, headers=auth, timeout=10
    ).json()
    assert joined["workflow_state"] == "accepted" and joined["just_created"] is True
    same = requests.post(
        f"{api}/groups/{groups[0]['id']}/memberships", data={"user_id": f"lti_1_3_id:{a.user_id}"}, headers=auth, timeout=10
    ).json()
    assert same["id"] == joined["id"] and same["just_created"] is False
    requests.post(f"{api}/groups/{groups[0]['id']}/memberships", data={"user_id": f"sis_login_id:{b.login_id}"}, headers=auth, timeout=10)
    # Joining another group of the same set moves the user.
    requests.post(f"{api}/groups/{groups[1]['id']}/memberships", data={"user_id": f"lti_1_3_id:{a.user_id}"}, headers=auth, timeout=10)
    unknown = requests.post(f"{api}/groups/{groups[1]['id']}/memberships", data={"user_id": "lti_1_3_id:nobody"}, headers=auth, timeout=10)
    assert unknown.status_code == 404

    canvas_id = {u["lti_1_3_id"]: u["id"] for u in fake_canvas.users.values()}
    state = fake_canvas.end_state()["Dataset circles"]
    assert state["Circle 1"] == [canvas_id[b.user_id]]
    assert state["Circle 2"] == [canvas_id[a.user_id]]
    assert "Circle 1 (2)" in state
    assert len(fake_canvas.writes()) == 1 + 1 + 12 + 1 + 2 + 1 + 1 + 1
    assert fake_canvas.calls[0].status == 401
