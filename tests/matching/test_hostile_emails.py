"""Circle emails under hostile titles and failing mail servers (issue 15).

The committed code raised BadHeaderError on a title with a line break (not
retried, nothing sent) while the page said the emails were on their way.
"""
import pytest
from django.core import mail
from django.urls import reverse

from matching import services
from matching.models import MatchRun
from matching.services import NOTIFY_MAX_ATTEMPTS
from tests import factories

BROKEN = "tests.matching.test_hostile_emails.BrokenMailBackend"
WORKING = "django.core.mail.backends.locmem.EmailBackend"


class BrokenMailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("SMTP server unreachable")


@pytest.fixture
def published(course, student, classmate):
    """A published run whose dataset and course titles hold line breaks (rows saved before titles were checked)."""
    dataset = factories.DatasetFactory(course=course, title="Heart\r\ndisease\nBcc: everyone@example.com")
    course.title = "ML\n101"
    course.save(update_fields=["title"])
    for user in (student, classmate):
        services.interest_set_ranking(membership=user.memberships.get(course=course), dataset_ids=[dataset.pk])
    run = services.match_run_start(course=course)
    services.match_run_publish(run=run)
    return run


def test_titles_with_line_breaks_make_one_line_subjects_and_every_email_goes_out(published):
    assert services.match_run_notify(run_id=published.pk) == 2
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject == "[ML 101] Your dataset: Heart disease Bcc: everyone@example.com"
        assert message.bcc == []
        message.message()  # the mail library accepts the headers
    published.refresh_from_db()
    assert published.notified_at and published.notify_error == ""


def test_a_failing_send_is_shown_to_the_instructor_and_retried(client_for, course, instructor, published, settings):
    settings.EMAIL_BACKEND = BROKEN
    with pytest.raises(OSError):
        services.match_run_notify(run_id=published.pk)
    page = client_for(instructor).get(reverse("matching", args=[course.pk])).content.decode()
    assert f"Emails failed: SMTP server unreachable; trying again (attempt 1 of {NOTIFY_MAX_ATTEMPTS})." in page

    settings.EMAIL_BACKEND = WORKING
    assert services.match_run_notify(run_id=published.pk) == 2
    page = client_for(instructor).get(reverse("matching", args=[course.pk])).content.decode()
    assert "Emails failed" not in page


def test_after_the_last_attempt_the_page_says_the_emails_were_given_up(client_for, course, instructor, published, settings):
    settings.EMAIL_BACKEND = BROKEN
    for _ in range(NOTIFY_MAX_ATTEMPTS):
        with pytest.raises(OSError):
            services.match_run_notify(run_id=published.pk)
    settings.EMAIL_BACKEND = WORKING
    assert services.match_run_notify(run_id=published.pk) == 0  # no further attempt: nothing claimed
    assert mail.outbox == []
    run = MatchRun.objects.get(pk=published.pk)
    assert run.notified_at is None and run.notify_attempts == NOTIFY_MAX_ATTEMPTS
    page = client_for(instructor).get(reverse("matching", args=[course.pk])).content.decode()
    assert f"Emails failed: SMTP server unreachable; gave up after {NOTIFY_MAX_ATTEMPTS} attempts." in page
