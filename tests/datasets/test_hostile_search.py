"""The catalog search under hostile input (issue 15): bounded words, one query, a rate limit."""
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from datasets.forms import SEARCHES_PER_USER
from datasets.models import SEARCH_MAX_WORDS, Dataset
from tests import factories

# 4 KB of distinct words: the committed code added one chained filter (three LIKEs) per word.
QUERY_4KB = " ".join(f"w{n:03d}" for n in range(820))[:4096]


def _catalog(client, course, **query):
    return client.get(reverse("catalog", args=[course.pk]), query)


def test_a_4kb_search_is_one_bounded_query_and_fast(client_for, course, student):
    for n in range(30):
        factories.DatasetFactory(course=course, title=f"Thing {n}", description="Measurements of things " * 10)
    client = client_for(student)
    _catalog(client, course)  # warm up the session and templates
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = _catalog(client, course, q=QUERY_4KB)
        took = time.perf_counter() - started
    assert response.status_code == 200
    catalog_queries = [q["sql"] for q in queries.captured_queries if "datasets_dataset" in q["sql"]]
    assert len(catalog_queries) == 1
    # Three LIKEs per word, at most SEARCH_MAX_WORDS words (the committed code had 820 × 3).
    assert catalog_queries[0].upper().count(" LIKE ") <= 3 * SEARCH_MAX_WORDS
    assert took < 1.0, f"a 4 KB search took {took:.2f} s"


def test_search_still_finds_every_word_of_a_short_query(client_for, course, student):
    factories.DatasetFactory(course=course, title="Heart disease", tags="medicine")
    factories.DatasetFactory(course=course, title="Heart of birds", tags="biology")
    html = _catalog(client_for(student), course, q="heart  medicine").content.decode()
    assert "Heart disease" in html and "Heart of birds" not in html


def test_the_queryset_caps_words_for_every_caller(course):
    words = [f"word{n}" for n in range(SEARCH_MAX_WORDS)]
    factories.DatasetFactory(course=course, title=" ".join(words))
    # A ninth word matching nothing is dropped: the first eight still match.
    assert Dataset.objects.search(" ".join(words + ["zzz"])).count() == 1
    assert Dataset.objects.search("a" * 10_000).count() == 0  # one word, cut to 50 characters


def test_searching_too_often_says_the_limit_and_still_shows_the_catalog(client_for, course, student, dataset):
    client = client_for(student)
    for n in range(SEARCHES_PER_USER.amount):
        assert "searched more than" not in _catalog(client, course, q=f"iris {n}").content.decode()
    html = _catalog(client, course, q="iris").content.decode()
    assert "You searched more than 120 times in a minute" in html
    assert "Iris flowers" in html
    # Browsing without a search is never limited.
    assert "searched more than" not in _catalog(client, course).content.decode()


def test_the_search_limit_is_per_user(client_for, course, student, classmate, dataset):
    client = client_for(student)
    for n in range(SEARCHES_PER_USER.amount + 1):
        _catalog(client, course, q="iris")
    assert "searched more than" not in _catalog(client_for(classmate), course, q="iris").content.decode()
