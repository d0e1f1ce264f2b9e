"""Every log line says which request or job it belongs to (issue 7, item 2)."""
import logging

from django.urls import reverse

from courseproj.logcontext import ContextFilter, job_context


def _record() -> logging.LogRecord:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    ContextFilter().filter(record)
    return record


def test_a_response_carries_its_request_id(client, db):
    first = client.get(reverse("account_login"))["X-Request-ID"]
    second = client.get(reverse("account_login"))["X-Request-ID"]
    assert len(first) == 16 and first != second


def test_a_proxys_request_id_is_kept_but_a_hostile_one_is_replaced(client, db):
    assert client.get(reverse("account_login"), HTTP_X_REQUEST_ID="lb-1234.abc")["X-Request-ID"] == "lb-1234.abc"
    forged = client.get(reverse("account_login"), HTTP_X_REQUEST_ID="x\nlevel=ERROR fake line")["X-Request-ID"]
    assert "\n" not in forged and "fake" not in forged


def test_log_records_carry_the_request_id_during_a_request(client, db, monkeypatch):
    seen = []
    monkeypatch.setattr("courseproj.health._check_database", lambda: seen.append(_record()) or {"ok": True})
    response = client.get(reverse("health"), HTTP_X_REQUEST_ID="req-42")
    assert seen[0].request_id == "req-42" == response["X-Request-ID"]
    assert _record().request_id == "-"  # and not after it


def test_log_records_carry_the_job_id_while_a_job_runs():
    with job_context(7):
        assert _record().job_id == "7"
    assert _record().job_id == "-"
