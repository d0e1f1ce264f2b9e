"""Pages that do not break: error pages in the site's layout with a way back, styled account buttons, wording."""
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tests import factories


def test_a_missing_page_is_a_page_of_the_site_with_a_way_back(client_for, student):
    response = client_for(student).get("/c/999999/")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'class="topbar"' in page and "css/app.css" in page
    assert f'href="{reverse("home")}"' in page and "Back to your courses" in page


def test_a_page_for_another_role_is_a_page_of_the_site_with_a_way_back(client_for, course, student):
    response = client_for(student).get(reverse("members", args=[course.pk]))
    page = response.content.decode()
    assert response.status_code == 403
    assert 'class="topbar"' in page and "not yours to open" in page and "Back to your courses" in page


def test_the_server_error_page_needs_no_database(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert 'class="topbar"' in page and "css/app.css" in page and 'href="/"' in page


def test_sign_in_and_sign_up_buttons_are_styled(client, db):
    for name in ("account_login", "account_signup"):
        page = client.get(reverse(name)).content.decode()
        assert '<button class="button button--block"' in page and 'type="submit"' in page


def test_the_ranking_page_loads_the_stylesheet_of_its_fragments(client_for, course, student):
    page = client_for(student).get(reverse("interests", args=[course.pk])).content.decode()
    assert "css/live.css" in page


def test_a_proposed_dataset_names_who_proposed_it(client_for, course, instructor, student):
    proposed = factories.DatasetFactory(course=course, title="Bees", status="proposed", proposed_by=student)
    page = client_for(instructor).get(reverse("dataset_detail", args=[course.pk, proposed.pk])).content.decode()
    assert "<strong>Proposed</strong> by Sam Student" in page
    assert "Proposed by a student by" not in page


def test_a_dataset_not_accepted_says_who_proposed_it_not_who_refused(client_for, course, instructor, student):
    refused = factories.DatasetFactory(course=course, title="Bees", status="rejected", proposed_by=student)
    page = client_for(student).get(reverse("dataset_detail", args=[course.pk, refused.pk])).content.decode()
    assert "<strong>Not accepted</strong> into the catalog (proposed by Sam Student)." in page
    assert "Not accepted by" not in page
