"""Issue #5 in real browsers: a phone picks, the projector follows, a server restart is survived."""
import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import PHONE, log_in

pytestmark = [pytest.mark.browser]

PROJECTOR = {"width": 1920, "height": 1080}
TOPICS = [
    ("Iris flowers", "biology, botany"), ("Wine cultivars", "chemistry, food"), ("Palmer penguins", "biology, ecology"),
    ("Handwritten digits", "images, vision"), ("Breast cancer diagnosis", "medicine"), ("Titanic passengers", "history"),
    ("Heart disease", "medicine, health"), ("Mushroom edibility", "biology, food"), ("Spam e-mails", "text, email"),
    ("Bank marketing", "finance"), ("Credit default", "finance, risk"), ("Adult income", "census, society"),
]


def _verified_student(course, name, email):
    user = factories.MembershipFactory(course=course, role="student", user__name=name, user__email=email).user
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def classroom(transactional_db):
    """A course with 40 datasets and 36 students with overlapping picks, as on the day."""
    from matching.services import interest_set_ranking

    course = factories.CourseFactory(title="Machine Learning — Day 9")
    datasets = [
        factories.DatasetFactory(course=course, title=f"{TOPICS[i % len(TOPICS)][0]}{'' if i < len(TOPICS) else f' ({i // len(TOPICS) + 1})'}",
                                 tags=TOPICS[i % len(TOPICS)][1])
        for i in range(40)
    ]
    for n in range(36):
        user = factories.MembershipFactory(course=course, role="student", user__name=f"Student {n + 1:02d}").user
        # Popular datasets first in many lists, a long tail of single picks.
        picks = [datasets[n % 6], datasets[(n * 7) % 40], datasets[(n * 3 + 1) % 40]]
        interest_set_ranking(membership=user.memberships.get(), dataset_ids=list(dict.fromkeys(d.pk for d in picks)))
    return course, datasets


@pytest.mark.reliability(35)
def test_a_pick_on_a_phone_reaches_the_projector_and_survives_a_restart(app_server, browser, classroom, look,
                                                                         console_errors):
    course, datasets = classroom
    _verified_student(course, "Phoebe Phone", "phoebe@example.com")
    base = app_server.url

    projector = browser.new_context(viewport=PROJECTOR).new_page()
    projector.goto(f"{base}/display/{course.display_token}/")
    expect(projector.locator(".display__code")).to_have_text(course.join_code)
    tiles_before = projector.locator(".tile").count()
    assert tiles_before == 40
    look(projector, "1-projector-40-datasets")
    # Nothing scrolls at 1080p and no tile falls off the screen.
    assert projector.evaluate("document.documentElement.scrollHeight") <= PROJECTOR["height"]
    last = projector.locator(".tile").nth(tiles_before - 1).bounding_box()
    assert last["y"] + last["height"] <= PROJECTOR["height"]

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, base, "phoebe@example.com")
    phone.goto(f"{base}/c/{course.pk}/interests/")
    target = datasets[39].title
    phone.get_by_role("button", name=f"Add {target}").click()
    phone.locator(".ranking").get_by_text(target).wait_for()
    look(phone, "2-phone-picked")

    tile = projector.locator(".tile", has=projector.get_by_text(target, exact=True))
    expect(tile).to_contain_text("Phoebe Phone", timeout=3000)

    # The server goes away mid-activity: the projector says so and keeps trying (the browser logs each refused poll).
    console_errors.allow("net::ERR_CONNECTION_REFUSED")
    app_server.stop()
    expect(projector.locator(".display__status")).to_contain_text("reconnecting", timeout=10000)
    app_server.start()
    phone.reload()
    second = datasets[38].title
    phone.get_by_role("button", name=f"Add {second}").click()
    phone.locator(".ranking").get_by_text(second).wait_for()
    tile2 = projector.locator(".tile", has=projector.get_by_text(second, exact=True))
    expect(tile2).to_contain_text("Phoebe Phone", timeout=20000)
    expect(projector.locator(".display__status")).to_contain_text("Live again")
    # The full state was redrawn, not appended: still one tile per dataset.
    assert projector.locator(".tile").count() == tiles_before
    look(projector, "3-projector-after-restart")
