"""A small LTI 1.3 platform for the tests: what Moodle or Canvas do for a tool, on loopback.

`Platform` is a threading HTTP server on 127.0.0.1 (random port) with its own RSA
key. It serves:

- ``GET  /jwks``                     its public key set (what the tool verifies id_tokens with);
- ``GET  /launch/<hint>``            a third-party-initiated login: an auto-submitting form that
                                     sends the browser to the tool's login-initiation URL
                                     (``iss``, ``login_hint``, ``target_link_uri``,
                                     ``lti_message_hint``, ``client_id``, ``lti_deployment_id``);
- ``GET|POST /auth``                 the OIDC authorisation endpoint: checks the tool's auth
                                     request and answers with an auto-submitting ``form_post``
                                     of a signed ``id_token`` and the tool's ``state``;
- ``POST /token``                    OAuth2 client credentials with a JWT client assertion,
                                     verified against the tool's key set;
- ``GET  /api/lti/CourseSection/<context>/memberships``
                                     Names and Role Provisioning Services v2, paged with
                                     ``Link: <…>; rel="next"`` (the path has capitals on
                                     purpose: Moodle's has, and a pager that lowercases the
                                     next URL breaks on it);
- ``POST /deep_link_return``         receives the tool's signed LtiDeepLinkingResponse.

Tests that do not want the browser round trip build id_tokens directly
(`Platform.id_token`, `Platform.claims`, `Platform.sign`), or run the
authorisation step without HTTP (`Platform.authorize`). `Platform.attacks`
makes the forged, expired, wrong-audience, unknown-deployment and
role-escalation tokens of the security tests; a replay is the same recorded
form post (`Platform.form_posts`) sent twice.

Only the standard library, PyJWT and cryptography: no Django in here.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.lti.loopback import JsonHandler, LoopbackServer

# --- the LTI vocabulary the platform speaks ---

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
CLAIM_MESSAGE_TYPE = LTI + "message_type"
CLAIM_VERSION = LTI + "version"
CLAIM_DEPLOYMENT_ID = LTI + "deployment_id"
CLAIM_TARGET_LINK_URI = LTI + "target_link_uri"
CLAIM_RESOURCE_LINK = LTI + "resource_link"
CLAIM_ROLES = LTI + "roles"
CLAIM_CONTEXT = LTI + "context"
CLAIM_TOOL_PLATFORM = LTI + "tool_platform"
CLAIM_LAUNCH_PRESENTATION = LTI + "launch_presentation"
CLAIM_CUSTOM = LTI + "custom"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CLAIM_DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
CLAIM_DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
CLAIM_DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"

SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCOPES_OFFERED = frozenset(
    {
        SCOPE_NRPS,
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    }
)
NRPS_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
ROLE_INSTRUCTOR = MEMBERSHIP + "#Instructor"
ROLE_LEARNER = MEMBERSHIP + "#Learner"
ROLE_TA = MEMBERSHIP + "/Instructor#TeachingAssistant"
ROLE_MENTOR = MEMBERSHIP + "#Mentor"
ROLE_CONTENT_DEVELOPER = MEMBERSHIP + "#ContentDeveloper"
ROLE_INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
ROLE_INSTITUTION_STUDENT = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"
ROLE_SYSTEM_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"
ROLES = {"Instructor": ROLE_INSTRUCTOR, "Learner": ROLE_LEARNER, "TeachingAssistant": ROLE_TA}

COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"


# --- people ---


@dataclass
class Person:
    """A platform user as NRPS and the id_token describe them."""

    user_id: str
    given_name: str
    family_name: str
    email: str
    roles: list[str]
    status: str = "Active"
    login_id: str = ""

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def identity_claims(self) -> dict:
        return {"name": self.name, "given_name": self.given_name, "family_name": self.family_name, "email": self.email}

    def as_member(self) -> dict:
        member = {"user_id": self.user_id, "status": self.status, "roles": list(self.roles), **self.identity_claims()}
        if self.login_id:
            member["lis_person_sourcedid"] = self.login_id
        return member


_GIVEN = ["Ada", "Ben", "Chloé", "Dmitri", "Elif", "Farah", "Gus", "Hana", "Ines", "Jamal", "Kenji", "Lena", "Marta", "Nils", "Oona"]
_FAMILY = ["Okafor", "Lindqvist", "Dubois", "Ivanova", "Yılmaz", "Haddad", "Moreau", "Sato", "García", "O'Neil", "Brown", "Nowak"]


def make_roster(students: int = 244, instructors: int = 2, tas: int = 4, inactive: int = 5) -> list[Person]:
    """A deterministic course roster: instructors, TAs, then students (the last `inactive` of them dropped).

    The default adds up to 250 members: three NRPS pages of 100.
    """
    people = []
    for i in range(instructors):
        people.append(Person(f"inst-{i + 1:03d}", "Ivy", f"Instructor{i + 1}", f"ivy{i + 1}@uni.example", [ROLE_INSTRUCTOR], login_id=f"ivy{i + 1}"))
    for i in range(tas):
        people.append(Person(f"ta-{i + 1:03d}", "Theo", f"Assistant{i + 1}", f"theo{i + 1}@uni.example", [ROLE_TA], login_id=f"theo{i + 1}"))
    for i in range(students):
        given, family = _GIVEN[i % len(_GIVEN)], _FAMILY[(i // len(_GIVEN)) % len(_FAMILY)]
        status = "Inactive" if i >= students - inactive else "Active"
        people.append(
            Person(
                f"stu-{i + 1:04d}",
                given,
                family,
                f"Student{i + 1:04d}@Uni.Example",  # capitals on purpose: email comparisons must ignore case
                [ROLE_LEARNER],
                status=status,
                login_id=f"s{i + 1:04d}",
            )
        )
    return people


# --- keys ---


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid=kid, alg="RS256", use="sig")
    return jwk


# --- what the platform remembers ---


@dataclass
class PendingLaunch:
    """A launch the platform started (login initiation) and will finish at /auth."""

    person: Person
    message_type: str
    target_link_uri: str
    claims: dict = field(default_factory=dict)  # overrides merged into the id_token


@dataclass
class FormPost:
    """The auto-submitting form the platform answers /auth with."""

    action: str
    fields: dict

    def html(self) -> str:
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in self.fields.items()
        )
        return (
            "<!doctype html><html><head><title>Launching…</title></head><body>"
            f'<form id="lti" method="post" action="{html.escape(self.action)}">{inputs}'
            '<noscript><button type="submit">Continue</button></noscript></form>'
            '<script>document.getElementById("lti").submit()</script></body></html>'
        )


class PlatformError(Exception):
    """A request the platform refuses; `status` is the HTTP status it answers."""

    def __init__(self, message: str, status: int = 400, error: str = "invalid_request"):
        super().__init__(message)
        self.status, self.error = status, error


# --- the platform ---


class Platform:
    """An LTI 1.3 platform with one course (context), one registration of the tool and one deployment."""

    def __init__(
        self,
        *,
        client_id: str = "courseproj-client-1",
        deployment_id: str = "deployment-1",
        context_id: str = "Course-ML-101",
        context_title: str = "Machine Learning 101",
        context_label: str = "ML101",
        members: list[Person] | None = None,
        page_size: int = 100,
        tool_login_url: str = "",
        tool_launch_url: str = "",
        tool_redirect_uris: list[str] | None = None,
        tool_jwks_url: str = "",
        tool_jwks: dict | None = None,
        deep_link_url: str = "",
        name: str = "Test LMS",
    ):
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.context_id = context_id
        self.context_title = context_title
        self.context_label = context_label
        self.members: list[Person] = members if members is not None else make_roster()
        self.page_size = page_size
        # The tool's side of the registration (what staff paste into the LMS).
        self.tool_login_url = tool_login_url
        self.tool_launch_url = tool_launch_url
        self.tool_redirect_uris = tool_redirect_uris
        self.tool_jwks_url = tool_jwks_url
        self.tool_jwks = tool_jwks
        self.deep_link_url = deep_link_url
        self.name = name

        self.key = new_rsa_key()
        self.kid = "platform-key-" + secrets.token_hex(4)
        self.attacker_key = new_rsa_key()  # never published: tokens signed with it are forgeries

        self._lock = threading.Lock()
        self._pending: dict[str, PendingLaunch] = {}
        self._tokens: dict[str, dict] = {}  # access token -> {"scopes", "exp"}
        self._seen_jtis: set[str] = set()
        # What happened, for the tests to assert on.
        self.auth_requests: list[dict] = []
        self.form_posts: list[FormPost] = []
        self.token_requests: list[dict] = []
        self.nrps_requests: list[dict] = []
        self.deep_link_responses: list[dict] = []
        self.requests: list[tuple[str, str]] = []

        self._loopback = LoopbackServer("lti-platform")

    # --- lifecycle ---

    @property
    def url(self) -> str:
        return self._loopback.url

    def start(self) -> Platform:
        self._loopback.start(type("PlatformHandler", (_Handler,), {"platform": self}))
        return self

    def stop(self) -> None:
        self._loopback.stop()

    def __enter__(self) -> Platform:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the URLs staff copy into the tool's registration ---

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def auth_url(self) -> str:
        return self.url + "/auth"

    @property
    def token_url(self) -> str:
        return self.url + "/token"

    @property
    def jwks_url(self) -> str:
        return self.url + "/jwks"

    @property
    def deep_link_return_url(self) -> str:
        return self.url + "/deep_link_return"

    def memberships_url(self, context_id: str | None = None) -> str:
        return f"{self.url}/api/lti/CourseSection/{urllib.parse.quote(context_id or self.context_id)}/memberships"

    def registration(self) -> dict:
        """What an admin types into the tool to register this platform."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_url": self.auth_url,
            "token_url": self.token_url,
            "keyset_url": self.jwks_url,
        }

    def jwks(self) -> dict:
        return {"keys": [public_jwk(self.key, self.kid)]}

    def person(self, user_id: str) -> Person:
        return next(p for p in self.members if p.user_id == user_id)

    def instructor(self) -> Person:
        return next(p for p in self.members if ROLE_INSTRUCTOR in p.roles)

    def student(self, n: int = 0) -> Person:
        return [p for p in self.members if ROLE_LEARNER in p.roles and p.status == "Active"][n]

    # --- id tokens ---

    def claims(
        self,
        person: Person,
        *,
        nonce: str,
        message_type: str = "LtiResourceLinkRequest",
        roles: list[str] | None = None,
        target_link_uri: str = "",
        context_id: str | None = None,
        **overrides,
    ) -> dict:
        """The id_token payload of a launch; keyword overrides replace or add claims
        (``aud=…``, ``exp=…``, ``deployment_id=…`` for the LTI claim, or full claim names via ``**{url: value}``)."""
        now = int(time.time())
        context_id = context_id or self.context_id
        payload = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": person.user_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **person.identity_claims(),
            CLAIM_MESSAGE_TYPE: message_type,
            CLAIM_VERSION: "1.3.0",
            CLAIM_DEPLOYMENT_ID: self.deployment_id,
            CLAIM_TARGET_LINK_URI: target_link_uri or self.tool_launch_url,
            CLAIM_ROLES: list(person.roles if roles is None else roles),
            CLAIM_CONTEXT: {
                "id": context_id,
                "label": self.context_label,
                "title": self.context_title,
                "type": [COURSE_OFFERING],
            },
            CLAIM_TOOL_PLATFORM: {
                "guid": "test-lms-" + self.client_id,
                "name": self.name,
                "product_family_code": "courseproj-test-platform",
                "version": "1.0",
            },
            CLAIM_LAUNCH_PRESENTATION: {"document_target": "window", "return_url": self.url + "/return"},
            CLAIM_CUSTOM: {},
            CLAIM_NRPS: {"context_memberships_url": self.memberships_url(context_id), "service_versions": ["2.0"]},
        }
        if message_type == "LtiResourceLinkRequest":
            payload[CLAIM_RESOURCE_LINK] = {"id": "resource-link-1", "title": "courseproj"}
        elif message_type == "LtiDeepLinkingRequest":
            payload[CLAIM_TARGET_LINK_URI] = target_link_uri or self.deep_link_url or self.tool_launch_url
            payload[CLAIM_DEEP_LINKING_SETTINGS] = {
                "deep_link_return_url": self.deep_link_return_url,
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": False,
                "data": "dl-data-" + secrets.token_hex(4),
            }
        short = {"deployment_id": CLAIM_DEPLOYMENT_ID, "context": CLAIM_CONTEXT, "custom": CLAIM_CUSTOM}
        for key, value in overrides.items():
            payload[short.get(key, key)] = value
        return {k: v for k, v in payload.items() if v is not None}

    def sign(self, payload: dict, *, key: rsa.RSAPrivateKey | None = None, kid: str | None = None) -> str:
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def id_token(self, person: Person, *, nonce: str, key=None, kid=None, **claims) -> str:
        """A signed id_token for `person` (see `claims` for the keywords)."""
        return self.sign(self.claims(person, nonce=nonce, **claims), key=key, kid=kid)

    def verify(self, token: str) -> dict:
        """Decode an id_token as a tool would (tests of the platform itself)."""
        return jwt.decode(
            token,
            jwt.PyJWKSet.from_dict(self.jwks())[jwt.get_unverified_header(token)["kid"]].key,
            algorithms=["RS256"],
            audience=self.client_id,
            issuer=self.issuer,
            options={"require": ["exp", "iat", "sub", "nonce"]},
        )

    # --- third-party-initiated login ---

    def login_initiation(
        self,
        person: Person,
        *,
        message_type: str = "LtiResourceLinkRequest",
        target_link_uri: str = "",
        **claims,
    ) -> tuple[str, dict]:
        """Start a launch: the tool's login-initiation URL and its parameters.

        The platform remembers the launch under an `lti_message_hint`; the
        tool's auth request must bring it back. `claims` are merged into the
        id_token the platform signs at /auth (a test can make a platform that
        misbehaves, e.g. ``deployment_id="other"``).
        """
        if message_type == "LtiDeepLinkingRequest":
            target = target_link_uri or self.deep_link_url or self.tool_launch_url
        else:
            target = target_link_uri or self.tool_launch_url
        hint = "launch-" + secrets.token_urlsafe(12)
        with self._lock:
            self._pending[hint] = PendingLaunch(person, message_type, target, claims)
        params = {
            "iss": self.issuer,
            "login_hint": person.user_id,
            "target_link_uri": target,
            "lti_message_hint": hint,
            "client_id": self.client_id,
            "lti_deployment_id": claims.get("deployment_id", self.deployment_id),
        }
        return self.tool_login_url, params

    def launch_url(self, person: Person, **kwargs) -> str:
        """A URL on the platform a browser opens to launch the tool as `person` (the LMS's link)."""
        _, params = self.login_initiation(person, **kwargs)
        return f"{self.url}/launch/{params['lti_message_hint']}"

    def login_initiation_form(self, hint: str) -> FormPost:
        with self._lock:
            pending = self._pending.get(hint)
        if pending is None:
            raise PlatformError("unknown launch", 404)
        fields = {
            "iss": self.issuer,
            "login_hint": pending.person.user_id,
            "target_link_uri": pending.target_link_uri,
            "lti_message_hint": hint,
            "client_id": self.client_id,
            "lti_deployment_id": pending.claims.get("deployment_id", self.deployment_id),
        }
        return FormPost(self.tool_login_url, fields)

    def authorize(self, params: dict) -> FormPost:
        """The OIDC authorisation step: check the tool's auth request, answer with a signed id_token.

        `params` are the query (or form) parameters of the tool's redirect to
        /auth; a test can pass a full URL's query via `parse_query`.
        """
        self.auth_requests.append(dict(params))
        expected = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none"}
        for name, value in expected.items():
            if params.get(name) != value:
                raise PlatformError(f"{name} must be {value!r}, got {params.get(name)!r}")
        if params.get("client_id") != self.client_id:
            raise PlatformError("unknown client_id", error="unauthorized_client")
        for name in ("redirect_uri", "nonce", "state", "login_hint"):
            if not params.get(name):
                raise PlatformError(f"missing {name}")
        allowed = self.tool_redirect_uris or [self.tool_launch_url, self.deep_link_url]
        if params["redirect_uri"] not in [uri for uri in allowed if uri]:
            raise PlatformError("redirect_uri is not registered", error="invalid_request_uri")
        with self._lock:
            pending = self._pending.pop(params.get("lti_message_hint", ""), None)
        if pending is None:
            raise PlatformError("lti_message_hint does not name a launch in progress", error="login_required")
        if params["login_hint"] != pending.person.user_id:
            raise PlatformError("login_hint is not the user of this launch", error="login_required")
        token = self.id_token(
            pending.person,
            nonce=params["nonce"],
            message_type=pending.message_type,
            target_link_uri=pending.target_link_uri,
            **pending.claims,
        )
        post = FormPost(params["redirect_uri"], {"id_token": token, "state": params["state"]})
        self.form_posts.append(post)
        return post

    # --- forged launches for the security tests ---

    def attacks(self, person: Person, *, nonce: str, **claims) -> dict[str, str]:
        """id_tokens a tool must refuse, by name. Each is otherwise a valid launch of `person`
        with the tool's `nonce` (a replay is a recorded `form_posts` entry sent twice)."""
        now = int(time.time())
        student_token = self.id_token(person, nonce=nonce, roles=[ROLE_LEARNER], **claims)
        return {
            # Signed by a key the platform never published, under the platform's kid.
            "forged_signature": self.id_token(person, nonce=nonce, key=self.attacker_key, **claims),
            # A valid student launch with the roles rewritten after signing.
            "tampered_roles": tamper(student_token, **{CLAIM_ROLES: [ROLE_INSTRUCTOR]}),
            "wrong_audience": self.id_token(person, nonce=nonce, aud="some-other-tool", azp="some-other-tool", **claims),
            "expired": self.id_token(person, nonce=nonce, iat=now - 3600, exp=now - 1800, **claims),
            "unknown_deployment": self.id_token(person, nonce=nonce, deployment_id="deployment-nobody-registered", **claims),
            "wrong_issuer": self.id_token(person, nonce=nonce, iss="https://lms.attacker.example", **claims),
            "no_signature": _unsigned(self.claims(person, nonce=nonce, **claims)),
        }

    def escalations(self, person: Person, *, nonce: str, **claims) -> dict[str, str]:
        """Validly signed launches whose roles must not make `person` staff in the course.

        The platform states no course role that maps to instructor or TA in any of
        them; a tool that grants one has granted a role the platform did not state.
        """
        return {
            # An administrator of the institution is not an instructor of this course.
            "institution_admin": self.id_token(person, nonce=nonce, roles=[ROLE_INSTITUTION_ADMIN], **claims),
            "system_admin": self.id_token(person, nonce=nonce, roles=[ROLE_SYSTEM_ADMIN, ROLE_LEARNER], **claims),
            # A student asking in the parts of the launch the user controls.
            "custom_role_claim": self.id_token(
                person, nonce=nonce, roles=[ROLE_LEARNER], custom={"role": "instructor", "courseproj_role": "instructor"}, **claims
            ),
            "target_link_query": self.id_token(
                person, nonce=nonce, roles=[ROLE_LEARNER], target_link_uri=(self.tool_launch_url or "https://tool.example/lti/launch/") + "?role=instructor", **claims
            ),
            # Roles the tool has no mapping for.
            "mentor": self.id_token(person, nonce=nonce, roles=[ROLE_MENTOR], **claims),
            "content_developer": self.id_token(person, nonce=nonce, roles=[ROLE_CONTENT_DEVELOPER], **claims),
            "no_roles": self.id_token(person, nonce=nonce, roles=[], **claims),
            "look_alike": self.id_token(
                person, nonce=nonce, roles=["http://example.com/vocab#Instructor", "Instructor-ish"], **claims
            ),
        }

    # --- OAuth2 client credentials ---

    def _tool_keyset(self) -> dict:
        if self.tool_jwks is not None:
            return self.tool_jwks
        if not self.tool_jwks_url:
            raise PlatformError("the tool has no key set registered", 401, "invalid_client")
        with urllib.request.urlopen(self.tool_jwks_url, timeout=10) as response:  # loopback only
            return json.load(response)

    def issue_token(self, form: dict) -> dict:
        """Answer a client-credentials grant, or raise PlatformError."""
        self.token_requests.append(dict(form))
        if form.get("grant_type") != "client_credentials":
            raise PlatformError("grant_type must be client_credentials", error="unsupported_grant_type")
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise PlatformError("client_assertion_type must be jwt-bearer", error="invalid_client")
        assertion = form.get("client_assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError as exc:
            raise PlatformError(f"client_assertion is not a JWT: {exc}", 401, "invalid_client") from exc
        keys = jwt.PyJWKSet.from_dict(self._tool_keyset()).keys
        if header.get("kid"):
            keys = [k for k in keys if k.key_id == header["kid"]]
        if not keys:
            raise PlatformError("no tool key with that kid", 401, "invalid_client")
        last_error: Exception | None = None
        for key in keys:
            try:
                claims = jwt.decode(
                    assertion,
                    key.key,
                    algorithms=["RS256"],
                    audience=[self.token_url, self.issuer],
                    options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
                )
                break
            except jwt.PyJWTError as exc:
                last_error = exc
        else:
            raise PlatformError(f"client_assertion does not verify: {last_error}", 401, "invalid_client")
        if claims["iss"] != self.client_id or claims["sub"] != self.client_id:
            raise PlatformError("client_assertion iss/sub is not the client id", 401, "invalid_client")
        with self._lock:
            if claims["jti"] in self._seen_jtis:
                raise PlatformError("client_assertion replayed (jti seen)", 401, "invalid_client")
            self._seen_jtis.add(claims["jti"])
        requested = set(form.get("scope", "").split())
        granted = sorted(requested & SCOPES_OFFERED)
        if not granted:
            raise PlatformError("no grantable scope requested", error="invalid_scope")
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access_token] = {"scopes": set(granted), "exp": time.time() + 3600}
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600, "scope": " ".join(granted)}

    def _check_bearer(self, authorization: str, scope: str) -> None:
        token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
        with self._lock:
            grant = self._tokens.get(token)
        if grant is None or grant["exp"] < time.time():
            raise PlatformError("missing or unknown access token", 401, "invalid_token")
        if scope not in grant["scopes"]:
            raise PlatformError("token lacks the scope", 403, "insufficient_scope")

    # --- Names and Role Provisioning Services ---

    def memberships_page(self, context_id: str, query: dict, authorization: str) -> tuple[dict, str | None]:
        """One page of the NRPS membership container and the next page's URL."""
        self._check_bearer(authorization, SCOPE_NRPS)
        if context_id != self.context_id:
            raise PlatformError("unknown context", 404, "not_found")
        limit = max(1, min(int(query.get("limit", self.page_size)), 1000))
        page = max(1, int(query.get("page", 1)))
        members = [m for m in self.members if query.get("role") in (None, *m.roles)]
        chunk = members[(page - 1) * limit : page * limit]
        self.nrps_requests.append({"context": context_id, "page": page, "limit": limit, "returned": len(chunk)})
        base = self.memberships_url(context_id)
        body = {
            "id": f"{base}?{urllib.parse.urlencode({**query, 'page': page})}",
            "context": {"id": context_id, "label": self.context_label, "title": self.context_title},
            "members": [m.as_member() for m in chunk],
        }
        next_url = None
        if page * limit < len(members):
            next_url = f"{base}?{urllib.parse.urlencode({**query, 'limit': limit, 'page': page + 1})}"
        return body, next_url

    # --- deep linking return ---

    def receive_deep_link_response(self, token: str) -> dict:
        keys = jwt.PyJWKSet.from_dict(self._tool_keyset()).keys
        header = jwt.get_unverified_header(token)
        keys = [k for k in keys if not header.get("kid") or k.key_id == header["kid"]]
        for key in keys:
            try:
                claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.issuer)
                break
            except jwt.PyJWTError:
                continue
        else:
            raise PlatformError("deep linking response does not verify", 401, "invalid_client")
        if claims.get("iss") != self.client_id:
            raise PlatformError("deep linking response iss is not the client id", 401)
        if claims.get(CLAIM_MESSAGE_TYPE) != "LtiDeepLinkingResponse":
            raise PlatformError("not an LtiDeepLinkingResponse")
        if claims.get(CLAIM_DEPLOYMENT_ID) != self.deployment_id:
            raise PlatformError("unknown deployment in deep linking response")
        self.deep_link_responses.append(claims)
        return claims


def tamper(token: str, **changes) -> str:
    """The same token with payload claims changed and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(_b64decode(payload))
    claims.update(changes)
    return ".".join([header, _b64encode(json.dumps(claims).encode()), signature])


def _unsigned(claims: dict) -> str:
    header = _b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64encode(json.dumps(claims).encode())}."


def _b64encode(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_query(url: str) -> dict:
    """The single-valued query parameters of a URL."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def parse_form(page: str) -> FormPost:
    """Read back an auto-submitting form (the platform's, or the tool's deep-linking response)."""
    from html.parser import HTMLParser

    class _Parser(HTMLParser):
        action, fields = "", {}

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "form":
                self.action = attrs.get("action", "")
            elif tag == "input" and attrs.get("name"):
                self.fields[attrs["name"]] = attrs.get("value", "")

    parser = _Parser()
    parser.fields = {}
    parser.feed(page)
    return FormPost(parser.action, parser.fields)


# --- HTTP ---


class _Handler(JsonHandler):
    platform: Platform

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        platform = self.platform
        split = urllib.parse.urlsplit(self.path)
        path, query = split.path, dict(urllib.parse.parse_qsl(split.query))
        platform.requests.append((method, self.path))
        try:
            if method == "GET" and path == "/jwks":
                return self.send_json(200, platform.jwks())
            if method == "GET" and path.startswith("/launch/"):
                return self.send_html(200, platform.login_initiation_form(path.removeprefix("/launch/")).html())
            if path == "/auth":
                params = query if method == "GET" else {**query, **self.read_body()[0]}
                return self.send_html(200, platform.authorize(params).html())
            if method == "POST" and path == "/token":
                return self.send_json(200, platform.issue_token(self.read_body()[0]))
            prefix, suffix = "/api/lti/CourseSection/", "/memberships"
            if method == "GET" and path.startswith(prefix) and path.endswith(suffix):
                context_id = urllib.parse.unquote(path[len(prefix) : -len(suffix)])
                body, next_url = platform.memberships_page(context_id, query, self.headers.get("Authorization", ""))
                headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
                return self.send_json(200, body, headers, NRPS_MEDIA_TYPE)
            if method == "POST" and path == "/deep_link_return":
                claims = platform.receive_deep_link_response(self.read_body()[0].get("JWT", ""))
                items = claims.get(CLAIM_DL_CONTENT_ITEMS, [])
                return self.send_html(200, f"<!doctype html><title>Placed</title><p>Placed {len(items)} item(s).</p>")
            if method == "GET" and path == "/return":
                return self.send_html(200, "<!doctype html><title>Back in the LMS</title><p>Back in the LMS.</p>")
            raise PlatformError(f"no route {method} {path}", 404, "not_found")
        except PlatformError as exc:
            self.send_json(exc.status, {"error": exc.error, "error_description": str(exc)})


def new_nonce() -> str:
    return uuid.uuid4().hex
