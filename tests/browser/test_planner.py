"""Issue 6's journey in a real browser: a student plans and picks, the instructor reviews, approves and exports."""
import csv
import io

import pytest

from courseproj.planner import services as planner
from courseproj.demo import ALTERNATIVE_TRACK, HOMEWORK9_OUTLINE
from courseproj.planner.models import PlanStatus
from tests import factories
from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password-9"
DESKTOP = {"width": 1280, "height": 900}
BASELINES = [
    {"model": "Majority class", "accuracy": 0.33, "balanced_accuracy": 0.333, "f1_macro": 0.17, "log_loss": 1.1, "fit_seconds": 0.01},
    {"model": "Logistic regression", "accuracy": 0.96, "balanced_accuracy": 0.953, "f1_macro": 0.95, "log_loss": 0.12, "fit_seconds": 0.05},
]


def person(course, name: str, email: str, role: str):
    return factories.member(course, name, email, role, password=PASSWORD)


def settle(page) -> None:
    """Wait for the whole document: a message at its top shows up before the page has finished loading."""
    page.wait_for_load_state("load")


def log_in(browser, base: str, email: str, viewport: dict):
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE, has_touch=viewport is PHONE,
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{base}/")
    return page


@pytest.fixture
def setting(db):
    """A course whose published matching put Sam and Cleo on Iris, and a mini-project with the tutorial menu."""
    course = factories.CourseFactory(title="Machine Learning 101")
    teacher = person(course, "Ivy Instructor", "ivy@example.com", "instructor")
    sam = person(course, "Sam Student", "sam@example.com", "student")
    cleo = person(course, "Cleo Classmate", "cleo@example.com", "student")
    iris = factories.DatasetFactory(course=course, title="Iris flowers")
    factories.done_job(dataset=iris, baselines=BASELINES, best_model="Logistic regression")
    factories.published_run(course=course, assignments={sam: iris, cleo: iris})
    assignment = factories.ProjectAssignmentFactory(course=course, title="Small-data mini-project")
    planner.menu_save(assignment=assignment, outline=planner.parse_menu_outline(HOMEWORK9_OUTLINE), pick_count=2,
                      distinct_categories=True, alternative_label=ALTERNATIVE_TRACK)
    return course, teacher, sam, assignment


def test_student_plans_and_picks_instructor_sends_back_then_approves_and_exports(live_server, browser, look, setting):
    base = live_server.url
    course, teacher, sam, assignment = setting

    # 1. The student, on a phone, starts the plan: the matched dataset, its baseline and the circle are there.
    phone = log_in(browser, base, "sam@example.com", PHONE)
    phone.goto(f"{base}/c/{course.pk}/")
    phone.get_by_role("link", name="Plan", exact=True).click()
    phone.get_by_role("button", name="Start my plan for Small-data mini-project").click()
    phone.get_by_text("Baseline to beat").wait_for()
    assert "0.953" in phone.locator(".to-beat").inner_text()
    assert "Cleo Classmate" in phone.get_by_role("region", name="Your dataset").inner_text()
    settle(phone)
    look(phone, "1-student-plan")

    # 2. Two tutorials from the same category: the draft is kept, with a clear warning.
    phone.get_by_label("Saving and loading models", exact=True).check()
    phone.get_by_label("Defining a neural network", exact=True).check()
    phone.get_by_role("button", name="Save draft").click()
    phone.get_by_text("are both in “PyTorch Recipes”").wait_for()
    settle(phone)
    look(phone, "2-picks-warning")

    # 3. Two from two categories, each with a reflection (its box opens when the option is checked),
    #    and the plan's fields; then submit.
    phone.get_by_label("Defining a neural network", exact=True).uncheck()
    phone.get_by_label("Transfer learning for computer vision", exact=True).check()
    phone.get_by_label("Your reflection on Saving and loading models").fill(
        "state_dict finally made sense: it is just a dictionary of tensors.")
    phone.get_by_label("Your reflection on Transfer learning for computer vision").fill(
        "Fine-tuning beat training from scratch on 240 images.")
    answers = {"Application": "Help a florist sort irises.", "Stakeholders and risks": "Florists; a wrong label costs a sale.",
               "Target and metric": "species; balanced accuracy", "Iteration plan": "Logistic regression, then a small tree.",
               "Data source and licence": "UCI, CC BY 4.0"}
    for label, text in answers.items():
        phone.get_by_label(label, exact=True).fill(text)
    phone.get_by_role("button", name="Submit for approval").click()
    phone.get_by_text("Plan submitted.").wait_for()
    settle(phone)
    look(phone, "3-student-submitted")

    # 5. The instructor, on a laptop, finds the plan waiting on the dashboard and asks for changes.
    laptop = log_in(browser, base, "ivy@example.com", DESKTOP)
    laptop.goto(f"{base}/c/{course.pk}/")
    laptop.get_by_role("link", name="Dashboard").click()
    laptop.get_by_role("region", name="Plans waiting for approval (1)").get_by_role("link", name="Sam Student").click()
    settle(laptop)
    look(laptop, "4-instructor-reviews")
    laptop.get_by_label("Comment with your decision").fill("Say which class matters most to the florist.")
    laptop.get_by_role("button", name="Request changes").click()
    laptop.get_by_text("Changes requested from Sam Student.").wait_for()

    # 6. The student reads the comment, changes the plan and resubmits.
    phone.reload()
    phone.get_by_text("Your instructor asked for changes").wait_for()
    assert "Say which class matters most" in phone.locator("#thread").inner_text()
    phone.get_by_label("Target and metric", exact=True).fill("species; recall of Iris virginica, the costly one")
    phone.get_by_role("button", name="Resubmit for approval").click()
    phone.get_by_text("Plan submitted.").wait_for()
    settle(phone)
    look(phone, "5-student-resubmitted")

    # 7. The instructor approves and exports.
    laptop.reload()
    laptop.get_by_role("button", name="Approve").click()
    laptop.get_by_text("Sam Student's plan is approved.").wait_for()
    laptop.get_by_role("link", name="Dashboard").click()
    settle(laptop)
    look(laptop, "6-dashboard")
    with laptop.expect_download() as download:
        laptop.get_by_role("link", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    sam_row = next(row for row in rows if row["Email"] == "sam@example.com")
    assert sam_row["Plan status"] == "Approved"
    assert sam_row["Picks"] == "PyTorch Recipes: Saving and loading models; Image and Video: Transfer learning for computer vision"
    assert sam_row["Circle"] == "Cleo Classmate"
    assert sam.plans.get().status == PlanStatus.APPROVED

    # 8. The dashboard on a phone.
    small = log_in(browser, base, "ivy@example.com", PHONE)
    small.goto(f"{base}/c/{course.pk}/dashboard/")
    settle(small)
    look(small, "7-dashboard-phone")
