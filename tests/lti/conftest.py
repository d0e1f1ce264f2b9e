"""Fixtures: a running test LTI platform and a running fake Canvas, each on its own loopback port.

The tool's URLs are not known here (they depend on the server the test runs the
app on): a tool test sets them, e.g.::

    def test_launch(lti_platform, live_server):
        lti_platform.tool_login_url = live_server.url + "/lti/login/"
        lti_platform.tool_launch_url = live_server.url + "/lti/launch/"
        lti_platform.tool_jwks_url = live_server.url + "/lti/jwks/"
"""

import pytest

from tests.lti.canvas import FakeCanvas
from tests.lti.platform import Platform


@pytest.fixture
def make_platform():
    """Start platforms with non-default settings (another client id, a small roster…); all stopped at the end."""
    started = []

    def make(**kwargs) -> Platform:
        platform = Platform(**kwargs).start()
        started.append(platform)
        return platform

    yield make
    for platform in started:
        platform.stop()


@pytest.fixture
def lti_platform(make_platform) -> Platform:
    """The test LMS: 250 members (2 instructors, 4 TAs, 244 students, 5 of them inactive), NRPS pages of 100."""
    return make_platform()


@pytest.fixture
def fake_canvas(lti_platform):
    """A Canvas course holding the platform's people (LTI sub = `lti_1_3_id`)."""
    canvas = FakeCanvas.for_people(lti_platform.members).start()
    yield canvas
    canvas.stop()


TESTSERVER = "http://testserver"


@pytest.fixture
def register_tool(db):
    """Register a platform with courseproj as staff would in the admin, and tell the platform the tool's URLs.

    `base` is where the tool answers: Django's test client ("http://testserver")
    or a live server's URL (browser tests).
    """
    from lti_tool.models import Key, LtiDeployment, LtiRegistration

    def register(platform, base: str = TESTSERVER, *, canvas_url: str = ""):
        from courseproj.lti.models import CanvasSite

        if not Key.objects.active().exists():
            Key.objects.generate()
        registration = LtiRegistration.objects.create(
            name=platform.name,
            issuer=platform.issuer,
            client_id=platform.client_id,
            auth_url=platform.auth_url,
            token_url=platform.token_url,
            keyset_url=platform.jwks_url,
        )
        LtiDeployment.objects.create(registration=registration, deployment_id=platform.deployment_id, is_active=True)
        if canvas_url:
            CanvasSite.objects.create(registration=registration, base_url=canvas_url)
        platform.tool_login_url = base + "/lti/login/"
        platform.tool_launch_url = platform.deep_link_url = base + "/lti/launch/"
        if base == TESTSERVER:  # the platform cannot reach the test client: hand it the key set
            platform.tool_jwks = Key.objects.as_jwks()
        else:
            platform.tool_jwks_url = base + "/lti/jwks/"
        return registration

    return register


@pytest.fixture
def tool(lti_platform, register_tool):
    """The test platform, registered with courseproj (Django test client side)."""
    register_tool(lti_platform)
    return lti_platform
