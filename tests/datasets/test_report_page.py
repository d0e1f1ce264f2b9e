"""The profile report page (issue 12): warnings that teach, why columns were left out, scores with their
spread, the learning curve in log loss, and a small distribution chart per column."""
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from datasets.models import JobStatus, ProfileJob
from datasets.report import WARNING_ADVICE, distribution_chart, report_context, with_spread

FIXTURE = Path(__file__).parent / "fixtures" / "profile_mixed.json"
NEW_CODES = ["moderate_imbalance", "missing_values", "near_perfect", "dummy_log_loss", "duplicate_rows"]


@pytest.fixture
def profile():
    """A stored engine profile of a 400-row table: an ID, a constant, a number with gaps, a category."""
    return json.loads(FIXTURE.read_text())


@pytest.fixture
def profiled(dataset, profile):
    job = ProfileJob.objects.create(content_key="sha256:fixture", target="outcome", engine_version="2",
                                    status=JobStatus.DONE, result=profile)
    dataset.profile_job = job
    dataset.save(update_fields=["profile_job"])
    return dataset


def _report(client, dataset) -> str:
    response = client.get(reverse("profile_report", args=[dataset.course_id, dataset.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_every_new_warning_code_has_advice():
    for code in NEW_CODES:
        assert WARNING_ADVICE[code].endswith(".") and len(WARNING_ADVICE[code]) > 60


def test_report_shows_warning_numbers_and_advice(profiled, client_for, student):
    html = _report(client_for(student), profiled)
    assert "71.5% of the time" in html  # the engine's numbers
    assert WARNING_ADVICE["moderate_imbalance"][:40] in html
    assert "missing in 60 of 400 rows" in html and "was missing" in html


def test_columns_table_says_why_a_column_was_left_out(profiled, client_for, student):
    html = _report(client_for(student), profiled)
    assert "left out: <span class=\"column-reason\">an identifier (400 different labels for 400 rows" in html
    assert "constant (a single value): it cannot tell the classes apart" in html
    assert "0.385 bits" in html  # mutual information of "dose (mg)"


def test_each_column_with_a_distribution_has_a_small_chart(profiled, profile, client_for, student):
    html = _report(client_for(student), profiled)
    with_distribution = [d for d in profile["column_details"] if d.get("distribution")]
    assert html.count('class="spark"') == len(with_distribution) == 4
    assert "Histogram of dose (mg)" in html and "Most common values of colour" in html
    assert "style=" not in html and "<script>" not in html  # the CSP allows neither


def test_distribution_geometry_stays_in_its_box():
    histogram = distribution_chart({"type": "histogram", "edges": list(range(11)), "counts": [0, 5, 50, 3] * 2 + [1, 1]})
    assert len(histogram["bars"]) == 10 and histogram["caption"] == "0 … 10"
    for bar in histogram["bars"]:
        assert 0 <= bar["x"] and bar["x"] + bar["width"] <= histogram["width"]
        assert 0 <= bar["y"] and round(bar["y"] + bar["height"], 1) <= histogram["height"]
    bars = distribution_chart({"type": "bars", "labels": ["a", "b"], "counts": [30, 10], "other": 60})
    assert [b["label"] for b in bars["bars"]] == ["a", "b", "all other values"] and bars["caption"] == "a 30%"
    assert distribution_chart(None) is None and distribution_chart({"type": "bars", "counts": []}) is None


def test_scores_carry_their_spread(profiled, profile, client_for, student):
    html = _report(client_for(student), profiled)
    best = next(b for b in profile["baselines"] if b["model"] == profile["best_model"])
    text = with_spread(best["balanced_accuracy"], best["balanced_accuracy_std"])
    assert "±" in text and text in html
    assert with_spread(best["log_loss"], best["log_loss_std"]) in html
    assert with_spread(0.5, None) == "0.500" and with_spread(None, 0.1) == "—"
    assert 'class="chart__spread"' in html


def test_learning_curve_in_log_loss_beside_balanced_accuracy(profiled, profile, client_for, student):
    html = _report(client_for(student), profiled)
    assert "Log loss against training rows" in html and "Balanced accuracy against training rows" in html
    assert "over-confident" in html and "lower is better" in html
    context = report_context(profile)
    sizes = profile["learning_curve"]["train_sizes"]
    for chart in (context["curve_chart"], context["loss_chart"]):
        assert len(chart["lines"]) == 2
        for line in chart["lines"]:
            points = [tuple(map(float, p.split(","))) for p in line["points"].split()]
            assert len(points) == len(sizes)
            assert all(0 <= x <= chart["width"] and 0 <= y <= chart["height"] for x, y in points)
    # Every training size is in the table under the charts, with both log losses.
    assert len(context["curve_points"]) == len(sizes)
    assert context["curve_points"][0]["validation_log_loss"] == profile["learning_curve"]["validation_log_loss"][0]


def test_an_older_profile_without_the_new_keys_still_renders(profiled, profile, client_for, student):
    for key in ("column_details", "target_reason", "majority_accuracy"):
        profile.pop(key)
    for b in profile["baselines"]:
        for key in [k for k in b if k.endswith("_std")]:
            b.pop(key)
    for key in ("train_log_loss", "validation_log_loss"):
        profile["learning_curve"].pop(key)
    ProfileJob.objects.filter(pk=profiled.profile_job_id).update(result=profile)
    html = _report(client_for(student), profiled)
    assert "Balanced accuracy against training rows" in html and "Log loss against training rows" not in html
    assert 'class="spark"' not in html and re.search(r"left out", html)
