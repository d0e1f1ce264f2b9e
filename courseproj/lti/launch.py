"""Validating an LTI 1.3 launch before anything is written.

PyLTI1p3 checks, in order: the state (our cookie), the JWT's form, that we
issued the nonce, the registration (issuer + client id), the signature against
the platform's key set (PyJWT also checks `exp`), the deployment and the
message's required claims. `ToolConfig` makes an unknown or inactive
deployment "not found" (django-lti's config creates one). `validate_launch`
then adds what PyLTI1p3 leaves out: `exp` and `iat` required, the audience must
hold our client id and, when it names several clients, `azp` must be ours.
Using the nonce up (a replay) is the launch service's first write.
"""
import time
from dataclasses import dataclass

from django.http import HttpRequest
from lti_tool.models import LtiDeployment, LtiRegistration
from lti_tool.utils import DjangoToolConfig
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException, OIDCException

RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
# A platform's clock may run a little ahead of ours.
CLOCK_SKEW = 60
# Used nonces are kept this long (services.lti_nonces_prune); a token must expire sooner,
# so no token outlives the record that refuses its replay.
NONCE_KEPT_SECONDS = 86400


class LaunchRefused(Exception):
    """A launch (or login) we refuse; the message is shown to the person, in words."""

    def __init__(self, message: str, *, status: int = 403):
        super().__init__(message)
        self.status = status


class ToolConfig(DjangoToolConfig):
    """django-lti's registration lookups; a deployment must be registered and active."""

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        if client_id is None:  # a login without client_id: the issuer's only registration, if it has one
            registrations = list(LtiRegistration.objects.active().filter(issuer=iss)[:2])
            client_id = registrations[0].client_id if len(registrations) == 1 else ""
        return super().find_registration_by_params(iss, client_id, *args, **kwargs)

    def find_deployment(self, iss, deployment_id):
        return self._active_deployment(registration__issuer=iss, deployment_id=deployment_id)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        return self._active_deployment(
            registration__issuer=iss, registration__client_id=client_id, deployment_id=deployment_id
        )

    def _active_deployment(self, **lookups) -> Deployment | None:
        self.deployment = (
            LtiDeployment.objects.select_related("registration")
            .filter(is_active=True, registration__is_active=True, **lookups)
            .first()
        )
        return Deployment().set_deployment_id(self.deployment.deployment_id) if self.deployment else None


@dataclass
class ValidLaunch:
    claims: dict
    deployment: LtiDeployment
    launch_id: str

    @property
    def message_type(self) -> str:
        return self.claims.get(CLAIM + "message_type", "")

    def claim(self, name: str, default=None):
        return self.claims.get(CLAIM + name, default)


# PyLTI1p3's messages, and what we tell the person (the first match wins).
REASONS = [
    ("state", "This launch did not start from your LMS in this browser, or it took too long. Open courseproj again from your course in the LMS."),
    ("nonce", "This launch was not started by courseproj, or it expired. Open courseproj again from your course in the LMS."),
    ("expired", "This launch has expired. Open courseproj again from your course in the LMS."),
    ("registration", "This LMS (or this client id) is not registered with courseproj. Ask the courseproj administrators to register it."),
    ("client id", "This LMS (or this client id) is not registered with courseproj. Ask the courseproj administrators to register it."),
    ("deployment", "This deployment of courseproj is not registered (or not active). Ask the courseproj administrators to add its deployment id."),
    ("signature", "The launch's signature does not verify: it was not signed by your LMS."),
    ("public key", "The launch's signature does not verify: it was not signed by your LMS."),
    ("cookie", "Your browser did not keep courseproj's cookie. Open courseproj in a new window from your LMS."),
]


def _reason(message: str) -> str:
    lowered = message.lower()
    return next((text for key, text in REASONS if key in lowered), "This launch is not valid. Open courseproj again from your course in the LMS.")


def validate_launch(request: HttpRequest) -> ValidLaunch:
    """Every check of the id_token the platform posted; raises LaunchRefused. Writes nothing to the database."""
    config = ToolConfig()
    try:
        launch = DjangoMessageLaunch(request, config, launch_data_storage=DjangoCacheDataStorage())
        launch.validate()
    except (LtiException, KeyError, ValueError) as exc:
        raise LaunchRefused(_reason(str(exc))) from exc
    claims = launch.get_launch_data()
    client_id = config.deployment.registration.client_id
    audience = claims.get("aud")
    audience = [audience] if isinstance(audience, str) else list(audience or [])
    if client_id not in audience or claims.get("azp", client_id) != client_id or (len(audience) > 1 and "azp" not in claims):
        raise LaunchRefused(_reason("client id"))
    now = time.time()
    if not isinstance(claims.get("exp"), int) or not isinstance(claims.get("iat"), int) or claims["exp"] <= now:
        raise LaunchRefused(_reason("expired"))
    if claims["iat"] > now + CLOCK_SKEW or claims["exp"] > now + NONCE_KEPT_SECONDS:
        raise LaunchRefused(_reason("expired"))
    valid = ValidLaunch(claims=claims, deployment=config.deployment, launch_id=launch.get_launch_id())
    if valid.message_type not in (RESOURCE_LINK, DEEP_LINKING) or not claims.get("sub"):
        raise LaunchRefused("courseproj opens from a course link or from the LMS's content picker; this kind of launch is not supported.")
    return valid


def login_redirect(request: HttpRequest, launch_url: str):
    """The OIDC third-party-initiated login: a plain 302 to the platform's auth URL (no JavaScript page)."""
    try:
        login = DjangoOIDCLogin(request, ToolConfig(), launch_data_storage=DjangoCacheDataStorage())
        return login.disable_check_cookies().redirect(launch_url)
    except (OIDCException, LtiException) as exc:
        raise LaunchRefused(
            "This LMS is not registered with courseproj (or the login request is incomplete). "
            "Ask the courseproj administrators to register it.",
            status=400,
        ) from exc


def deep_link_response(request: HttpRequest, *, launch_id: str, title: str, url: str) -> tuple[str, str]:
    """The signed LtiDeepLinkingResponse placing one link to courseproj, and the platform's return URL."""
    from pylti1p3.deep_link_resource import DeepLinkResource

    try:
        launch = DjangoMessageLaunch.from_cache(
            launch_id, request, ToolConfig(), launch_data_storage=DjangoCacheDataStorage()
        )
    except LtiException as exc:
        raise LaunchRefused("This placement expired. Start again from your LMS's content picker.") from exc
    deep_link = launch.get_deep_link()
    resource = DeepLinkResource().set_url(url).set_title(title)
    settings = launch.get_launch_data()[DEEP_LINKING_SETTINGS]
    return deep_link.get_response_jwt([resource]), settings["deep_link_return_url"]
