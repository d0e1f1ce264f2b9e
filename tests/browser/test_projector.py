"""Issue 11, point 4: the projector reads from the back of the room at 1920×1080.

Measured in Chromium: the smallest computed font size of titles, names, counts
and the join code; no title clipped (its box holds its text); nothing scrolls
and no tile leaves the screen — at 3, 7 and 40 datasets.
"""
import pytest
from playwright.sync_api import expect

from matching.services import interest_set_ranking
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECTOR = {"width": 1920, "height": 1080}
# Real small-data classification datasets, long titles included.
TITLES = [
    "Iris flowers", "Wine cultivars", "Palmer penguins", "Handwritten digits", "Breast cancer diagnosis",
    "Titanic passengers", "Heart disease", "Mushroom edibility", "Spam e-mails", "Bank marketing",
    "Credit card default", "Adult income", "Car evaluation", "Glass identification", "Ionosphere radar returns",
    "Sonar: mines or rocks", "Pima diabetes", "Wheat seeds", "Abalone age", "Banknote authentication",
    "Blood transfusion", "Dry beans", "Student performance", "Wine quality", "Yeast protein sites",
    "Zoo animals", "Letter recognition", "Parkinson's voice", "Hepatitis survival", "Thyroid disease",
    "Tic-tac-toe endgames", "Congressional votes", "Balance scale", "E. coli proteins", "Haberman survival",
    "Teaching assistant evaluation", "Online shoppers' intentions", "Steel plate faults", "Wall-following robot",
    "Rice varieties",
]
# The board's text a projector must make readable (CSS px at 1920×1080).
MINIMUM_PX = {".tile__title": 32, ".tile__names": 24, ".display__code": 64, ".tile__count": 40}

MEASURE = """() => {
  const size = (sel) => Math.min(...[...document.querySelectorAll(sel)].map(e => parseFloat(getComputedStyle(e).fontSize)));
  const sizes = {};
  for (const sel of %s) sizes[sel] = size(sel);
  const clipped = [...document.querySelectorAll('.tile__title')]
    .filter(e => e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight + 1).map(e => e.textContent);
  const off = [...document.querySelectorAll('.tile, .display__code, .display__qr, .countdown')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5;
  }).map(e => e.textContent.trim().slice(0, 40));
  const root = document.documentElement;
  return {sizes, clipped, off, scroll: [root.scrollWidth, root.scrollHeight]};
}"""


def classroom(n_datasets: int, n_students: int = 36):
    """A course with n datasets and students with overlapping picks and a few lonely ones."""
    course = factories.CourseFactory(title="Machine Learning — Day 9")
    datasets = [factories.DatasetFactory(course=course, title=TITLES[i], tags="bench") for i in range(n_datasets)]
    for n in range(n_students):
        user = factories.MembershipFactory(course=course, role="student", user__name=f"Student {n + 1:02d}").user
        picks = [datasets[n % min(6, n_datasets)], datasets[(n * 7) % n_datasets], datasets[(n * 3 + 1) % n_datasets]]
        interest_set_ranking(membership=user.memberships.get(), dataset_ids=list(dict.fromkeys(d.pk for d in picks)))
    # Someone alone on the last dataset (nobody else picked it).
    loner = factories.MembershipFactory(course=course, role="student", user__name="Lone Wolf").user
    picked = {i.dataset_id for i in course.interests.all()}
    free = [d for d in datasets if d.pk not in picked]
    if free:
        interest_set_ranking(membership=loner.memberships.get(), dataset_ids=[free[-1].pk])
    return course, datasets


def _open(browser, live_server, course):
    page = browser.new_context(viewport=PROJECTOR).new_page()
    page.goto(f"{live_server.url}/display/{course.display_token}/")
    expect(page.locator(".display__code")).to_have_text(course.join_code)
    return page


@pytest.mark.parametrize("n_datasets", [3, 7, 40])
def test_the_board_reads_from_the_back_of_the_room(live_server, browser, look, n_datasets):
    course, datasets = classroom(n_datasets, n_students=36 if n_datasets > 3 else 8)
    page = _open(browser, live_server, course)
    assert page.locator(".tile").count() == n_datasets
    found = page.evaluate(MEASURE % list(MINIMUM_PX))
    print(f"\n{n_datasets} datasets: smallest font sizes {found['sizes']}")
    look(page, f"{n_datasets}-datasets")
    for selector, minimum in MINIMUM_PX.items():
        assert found["sizes"][selector] >= minimum, (selector, found["sizes"][selector])
    assert found["clipped"] == [], "titles cut off"
    assert found["off"] == [], "outside the screen"
    assert found["scroll"] == [PROJECTOR["width"], PROJECTOR["height"]], "the page scrolls"
    # A lonely pick says so in words, not only in amber.
    lonely = page.locator(".tile--lonely")
    if lonely.count():
        expect(lonely.first).to_contain_text("alone")
    # Screen readers hear the changes, politely.
    assert page.locator("[data-live-url]").get_attribute("aria-live") == "polite"


def test_anonymous_mode_shows_counts_only_on_the_big_board(live_server, browser, look):
    course, _ = classroom(40)
    course.anonymous = True
    course.save(update_fields=["anonymous"])
    page = _open(browser, live_server, course)
    expect(page.locator(".tile__names")).to_have_count(0)
    assert "Student 01" not in page.content()
    look(page, "anonymous-40")
    assert page.evaluate(MEASURE % list(MINIMUM_PX))["clipped"] == []
