"""The profile report's charts fit a 390 px phone and a projector (issue 12), from a stored profile."""
import json
from pathlib import Path

import pytest
from django.test import Client

from datasets.models import JobStatus, ProfileJob
from tests import factories
from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURE = Path(__file__).resolve().parents[1] / "datasets" / "fixtures" / "profile_mixed.json"
DESKTOP = {"width": 1920, "height": 1080}
SHOTS = Path("/tmp/shots-report")


def _context(browser, base, user, viewport, **kwargs):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, **kwargs)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    return context


def test_report_charts_fit_a_phone_and_a_projector(live_server, browser, look):
    member = factories.MembershipFactory(role="student", course__title="ML 101", user__name="Sam Student")
    job = ProfileJob.objects.create(content_key="sha256:fixture", target="outcome", engine_version="2",
                                    status=JobStatus.DONE, result=json.loads(FIXTURE.read_text()))
    dataset = factories.DatasetFactory(course=member.course, title="Clinic outcomes", profile_job=job)
    url = f"{live_server.url}/c/{member.course.pk}/datasets/{dataset.pk}/profile/"
    SHOTS.mkdir(exist_ok=True)

    phone = _context(browser, live_server.url, member.user, PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Each learning curve and each small distribution chart is drawn inside the screen, not scrolled to.
    for selector in (".chart--curve", ".spark"):
        boxes = phone.eval_on_selector_all(selector, "els => els.map(e => [e.getBoundingClientRect().left, "
                                           "e.getBoundingClientRect().right])")
        assert boxes and all(0 <= left < right <= PHONE["width"] for left, right in boxes), (selector, boxes)
    curves = phone.eval_on_selector_all(".curves", "els => els.map(e => [e.scrollWidth, e.clientWidth])")
    assert all(scroll <= client for scroll, client in curves), curves
    # Every model's score and its label are on the screen, readable, without scrolling the chart sideways.
    chart = phone.eval_on_selector(".chart-phone svg", "e => [e.getBoundingClientRect().left, e.getBoundingClientRect().right]")
    values = phone.eval_on_selector_all(
        ".chart-phone .chart__value, .chart-phone .chart__label",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [e.textContent, r.left, r.right, r.height]; })")
    assert len(values) == 16, values  # 8 models: a label and a score each
    # Inside the drawing (an SVG clips what sticks out) and the screen, at a size one reads.
    assert 0 <= chart[0] and chart[1] <= PHONE["width"], chart
    assert all(chart[0] <= left and right <= chart[1] and height >= 11 for _, left, right, height in values), values
    assert not phone.locator(".chart-box--wide").is_visible()
    # The curves' text is readable on the phone: the tick labels render at 10 px or more.
    tick = phone.eval_on_selector(".chart--curve .chart__tick", "e => e.getBoundingClientRect().height")
    assert tick >= 10, tick
    phone.screenshot(path=str(SHOTS / "report-phone.png"), full_page=True)
    look(phone, "phone")

    desktop = _context(browser, live_server.url, member.user, DESKTOP).new_page()
    desktop.goto(url)
    assert desktop.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    assert desktop.get_by_role("img", name="Log loss against training rows").is_visible()
    assert desktop.locator(".chart-box--wide").is_visible() and not desktop.locator(".chart-phone").is_visible()
    tops = desktop.eval_on_selector_all(".curve-figure", "els => els.map(e => e.getBoundingClientRect().top)")
    assert len(tops) == 2 and abs(tops[0] - tops[1]) < 2  # side by side
    desktop.screenshot(path=str(SHOTS / "report-desktop.png"), full_page=True)
    look(desktop, "desktop")
