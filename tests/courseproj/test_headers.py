"""Every page, as every kind of visitor sees it, carries the security headers and no inline script
(issue 7; docs/reliability.md row 23's "CSP blocks inline script").

A crawl over HTTPS with the production security settings (DEBUG off, HSTS, the
SSL redirect) through the demo course with data: a finished profile, rankings,
a published matching, plans. It starts from the pages below, follows every
same-site link (GET only, bounded) and checks every HTML response:
- a Content-Security-Policy whose script-src has no 'unsafe-inline' or 'unsafe-eval';
- Strict-Transport-Security;
- no inline <script> with code, no on*= event-handler attributes (nor htmx's
  hx-on, which evaluates code), no style= attributes (CSP's style-src 'self'
  blocks them, so a page relying on one breaks).
A <script type="application/json"> data block is not code (browsers never run
it, CSP does not apply): allauth's account pages use them, and they are counted
separately.
"""
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from courseproj.demo import DEMO_PASSWORD, INSTRUCTOR_EMAIL, load_demo
from courseproj.courses.models import User
from courseproj.planner.models import Plan
from datasets import jobs, runner
from datasets.models import Dataset
from matching import services as matching_services
from matching.models import MatchRun

MAX_PAGES_PER_VISITOR = 250
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
# Links that change state on GET would be a bug of their own; these leave the site or the visitor.
SKIP_PREFIXES = ("/static/", "/accounts/logout/")


class PageScan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.problems: list[str] = []
        self.data_scripts = 0
        self._script: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=...> inline style")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "script":
            self._script = ((attributes.get("type") or "").lower(), [])
            if attributes.get("src") is None and self._script[0] in DATA_SCRIPT_TYPES:
                self.data_scripts += 1

    def handle_data(self, data):
        if self._script is not None:
            self._script[1].append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            kind, parts = self._script
            if "".join(parts).strip() and kind not in DATA_SCRIPT_TYPES:
                self.problems.append(f"inline <script> with code: {''.join(parts).strip()[:60]!r}")
            self._script = None


def _script_src(policy: str) -> str:
    for directive in policy.split(";"):
        name, _, value = directive.strip().partition(" ")
        if name == "script-src":
            return value
    return _script_src_default(policy)


def _script_src_default(policy: str) -> str:
    match = re.search(r"default-src ([^;]*)", policy)
    return match.group(1) if match else ""


def crawl(client: Client, starts: list[str]) -> tuple[dict[str, int], list[str], Counter]:
    """Visit starts and every same-site link; return {path: status}, problems, and counts."""
    queue, seen, statuses, problems, counts = list(starts), set(starts), {}, [], Counter()
    while queue and len(statuses) < MAX_PAGES_PER_VISITOR:
        url = queue.pop(0)
        response = client.get(url, secure=True)
        statuses[url] = response.status_code
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        found = []
        if response.status_code in (301, 302, 303, 307, 308):
            found.append(response["Location"])
        elif response.get("Content-Type", "").startswith("text/html"):
            counts["html"] += 1
            policy = response.get("Content-Security-Policy", "")
            script_src = _script_src(policy)
            if not policy or not script_src:
                problems.append(f"{url}: no Content-Security-Policy script-src")
            elif "unsafe-inline" in script_src or "unsafe-eval" in script_src:
                problems.append(f"{url}: script-src allows {script_src}")
            if "max-age=" not in response.get("Strict-Transport-Security", ""):
                problems.append(f"{url}: no Strict-Transport-Security")
            scan = PageScan()
            scan.feed(response.content.decode())
            problems += [f"{url}: {problem}" for problem in scan.problems]
            counts["data_scripts"] += scan.data_scripts
            found += scan.links
        else:
            counts["other"] += 1
        for link in found:
            parts = urlsplit(urljoin(url, link))
            if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
                continue
            # A login link differs only by where it returns to: one visit per page.
            query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "next"])
            target = parts.path + (f"?{query}" if query else "")
            if target not in seen and not target.startswith(SKIP_PREFIXES):
                seen.add(target)
                queue.append(target)
    return statuses, problems, counts


@pytest.fixture
def demo_course(db, django_capture_on_commit_callbacks, monkeypatch):
    """The demo course with a finished profile, a published matching shown on the projector, and plans."""
    monkeypatch.setattr(jobs, "profile_job_send", lambda *, job_id: True)  # no broker needed
    course = load_demo(students=8)
    iris = Dataset.objects.get(course=course, title__icontains="iris")
    token = jobs.profile_job_claim(job_id=iris.profile_job_id, message_id="crawl")
    assert runner.profile_job_run(job_id=iris.profile_job_id, token=token) == "profiled"
    run = matching_services.match_run_start(course=course)
    run = matching_services.match_run_publish(run=MatchRun.objects.get(pk=run.pk))
    matching_services.activity_reveal(course=course, run=run)
    return course


def _starts(course, user=None) -> list[str]:
    iris = Dataset.objects.get(course=course, title__icontains="iris")
    pages = ["home", "course_detail", "catalog", "interests", "circle", "assignments", "dashboard", "matching",
             "activity", "everyone", "members"]
    starts = [reverse("home")] + [reverse(name, args=[course.pk]) for name in pages[1:]]
    starts += [reverse("dataset_detail", args=[course.pk, iris.pk]), reverse("profile_report", args=[course.pk, iris.pk]),
               reverse("display", args=[course.display_token]), reverse("join_by_code"),
               reverse("join_link", args=[course.join_code]), "/admin/"]
    if user is not None:
        # Their account: email addresses, password, two-factor authentication.
        starts += [reverse(name) for name in ("account_email", "account_change_password", "mfa_index",
                                              "mfa_activate_totp")]
        plan = Plan.objects.filter(assignment__course=course, student=user).first()
        if plan:
            starts.append(reverse("plan_detail", args=[course.pk, plan.pk]))
    return starts


@pytest.fixture
def production_security(settings):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True


@pytest.mark.parametrize("visitor", ["anonymous", "student", "instructor"])
@pytest.mark.reliability(23)
def test_every_page_has_csp_and_hsts_and_no_inline_script_or_style(demo_course, production_security, visitor):
    client = Client()
    user = None
    if visitor != "anonymous":
        email = INSTRUCTOR_EMAIL if visitor == "instructor" else "student01@example.com"
        user = User.objects.get(email=email)
        client.force_login(user)
        # Recently signed in with the password, so the two-factor set-up page itself is shown.
        client.post(reverse("account_reauthenticate"), {"password": DEMO_PASSWORD}, secure=True)

    statuses, problems, counts = crawl(client, _starts(demo_course, user))

    assert not problems, "\n".join(problems[:40])
    ok = [url for url, status in statuses.items() if status == 200]
    assert counts["html"] >= (10 if visitor != "anonymous" else 4)
    print(f"\n{visitor}: {len(statuses)} URLs requested, {len(ok)} answered 200, {counts['html']} HTML pages checked "
          f"(CSP, HSTS, no inline script/handlers/styles), {counts['data_scripts']} JSON data blocks, "
          f"{counts['other']} non-HTML; statuses {dict(Counter(statuses.values()))}")


def test_plain_http_is_redirected_to_https_except_health(demo_course, production_security):
    client = Client()
    assert client.get(reverse("home")).status_code == 301
    assert client.get(reverse("health")).status_code in (200, 503)
