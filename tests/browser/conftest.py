"""Real-browser tests: Playwright driving Debian's Chromium against live_server."""
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail

CHROMIUM = "/usr/bin/chromium"
# Not under test-results/: pytest-playwright empties that folder at every session start.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-quic",
        ],
    }


@pytest.fixture
def look(request):
    """Screenshot the page and check it with axe-core: no serious or critical violations."""
    axe = Axe()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def check(page, name: str):
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{name}.png"), full_page=True)
        results = axe.run(page)
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"{name}: " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in bad)

    return check


class ConsoleErrors:
    """Console errors and uncaught exceptions of every page in the contexts it watches.

    A Content-Security-Policy violation (an inline script or style, a script from
    another origin) is logged as a console error, so it fails the test.
    """

    def __init__(self):
        self.messages: list[str] = []
        self.allowed: list[str] = []

    def watch(self, context) -> None:
        context.on("console", self._console)
        context.on("weberror", lambda error: self.messages.append(f"uncaught: {error.error}"))

    def _console(self, message) -> None:
        if message.type == "error":
            self.messages.append(f"{message.text} ({message.location.get('url', '')})")

    def allow(self, text: str) -> None:
        """An error this test expects (e.g. `net::ERR_CONNECTION_REFUSED` while it restarts the server)."""
        self.allowed.append(text)

    def unexpected(self) -> list[str]:
        return [message for message in self.messages if not any(text in message for text in self.allowed)]


# The browser contexts the running test opened (console_errors records them).
_OPEN_CONTEXTS: list = []


def close_open_contexts() -> None:
    """A test's pages end with it: none goes on polling or holding a live stream into the next test,
    and none sees its server killed under it (app_server closes them first)."""
    while _OPEN_CONTEXTS:
        context = _OPEN_CONTEXTS.pop()
        try:
            context.close()
        except Exception:  # already closed by the test, or the browser went away
            pass


@pytest.fixture(autouse=True)
def console_errors(request):
    """Every browser test fails when a page it opened logged a console error or threw (a CSP violation does).

    Contexts made by `browser.new_context()` / `browser.new_page()` and pytest-playwright's `page` are watched.
    """
    if request.node.get_closest_marker("browser") is None:
        yield None
        return
    browser = request.getfixturevalue("browser")
    errors = ConsoleErrors()
    new_context, new_page = browser.new_context, browser.new_page

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        errors.watch(context)
        _OPEN_CONTEXTS.append(context)
        return context

    def watched_page(*args, **kwargs):
        page = new_page(*args, **kwargs)
        errors.watch(page.context)
        _OPEN_CONTEXTS.append(page.context)
        return page

    browser.new_context, browser.new_page = watched_context, watched_page
    try:
        yield errors
    finally:
        del browser.new_context, browser.new_page  # back to the class's methods
        close_open_contexts()
    unexpected = errors.unexpected()
    assert not unexpected, "the browser logged errors:\n" + "\n".join(unexpected)


def sign_up(page, base_url: str, email: str, password: str = "a-long-test-password-9", name: str = "") -> None:
    """Sign up through allauth and follow the verification link from the test outbox.

    The name defaults to the address's first part, capitalised ("stu@…" signs up as "Stu").
    """
    before = len(mail.outbox)
    page.goto(f"{base_url}/accounts/signup/")
    page.fill("#id_name", name or email.partition("@")[0].capitalize())
    page.fill("#id_email", email)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url("**/confirm-email/")
    assert len(mail.outbox) == before + 1
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(base_url + link)
    page.get_by_role("button", name="Confirm").click()


@pytest.fixture
def app_server(transactional_db, tmp_path, django_db_blocker):
    """The app in its own gunicorn process on the test database, so a test can restart it
    (live_server runs in a thread of the test process and cannot be killed and brought back)."""
    from django.db import connection

    from tests.drills.processes import WebServer, close_database_sessions, database_url

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(connection.settings_dict)}
    server = WebServer(env=env, log_dir=tmp_path).start()
    yield server
    close_open_contexts()  # before the server goes: a page whose stream is cut would log an error
    server.stop()
    with django_db_blocker.unblock():
        close_database_sessions()


def log_in(page, base_url: str, email: str, password: str = "correct horse battery") -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{base_url}/**")
