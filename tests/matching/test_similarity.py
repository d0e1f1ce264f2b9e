"""Dataset-dataset and student-student similarity, on the built-in library's real descriptions."""
import pytest

from datasets.builtins import BUILTINS
from matching.engine import match
from matching.similarity import DatasetFeatures, DatasetSimilarity, student_similarity

# rows, columns (with the target), classes, share of numeric feature columns
STATS = {
    "iris": (150, 5, 3, 1.0),
    "wine": (178, 14, 3, 1.0),
    "breast_cancer": (569, 31, 2, 1.0),
    "digits": (1797, 65, 10, 1.0),
    "penguins": (344, 8, 3, 5 / 7),
}


@pytest.fixture(scope="module")
def library():
    items = [
        DatasetFeatures(
            key=b.key, title=b.title, description=b.description, tags=b.tags.split(","), rows=STATS[b.key][0],
            columns=STATS[b.key][1], classes=STATS[b.key][2], numeric_share=STATS[b.key][3],
        )
        for b in BUILTINS.values()
    ]
    return DatasetSimilarity.fit(items)


def test_iris_is_closer_to_penguins_than_to_digits(library):
    assert library.score("iris", "penguins") > library.score("iris", "digits")
    assert library.most_similar("iris", k=1)[0][0] == "penguins"


def test_scores_are_symmetric_in_zero_one_and_one_for_itself(library):
    for a in library.keys:
        assert library.score(a, a) == 1.0
        for b in library.keys:
            assert 0.0 <= library.score(a, b) <= 1.0
            assert library.score(a, b) == library.score(b, a)


def test_an_unknown_dataset_scores_zero(library):
    assert library.score("iris", "titanic") == 0.0


def test_most_similar_leaves_out_the_dataset_itself_and_respects_among(library):
    ranked = library.most_similar("iris", k=10)
    assert "iris" not in [key for key, _ in ranked] and len(ranked) == 4
    assert [score for _, score in ranked] == sorted((score for _, score in ranked), reverse=True)
    assert [key for key, _ in library.most_similar("iris", among=["wine", "digits", "titanic"])] == ["wine", "digits"]


def test_text_alone_is_enough_and_plurals_meet():
    similarity = DatasetSimilarity.fit([
        DatasetFeatures("a", "Penguin colonies", "Counts of penguins on islands"),
        DatasetFeatures("b", "Antarctic penguins", "Measurements of each penguin"),
        DatasetFeatures("c", "Credit card fraud", "Transactions labelled fraudulent or not"),
    ])
    assert similarity.score("a", "b") > similarity.score("a", "c")


def test_missing_statistics_and_tags_only_drop_their_part():
    similarity = DatasetSimilarity.fit([
        DatasetFeatures("small", "Flowers", rows=150, columns=5),
        DatasetFeatures("also-small", "Flowers", rows=200, columns=6),
        DatasetFeatures("bare", "Flowers"),
    ])
    assert similarity.score("small", "also-small") > 0.9
    assert similarity.score("small", "bare") == pytest.approx(1.0)  # the text is all they share


def test_an_empty_catalog_and_repeated_keys():
    assert DatasetSimilarity.fit([]).most_similar("iris") == []
    with pytest.raises(ValueError, match="unique"):
        DatasetSimilarity.fit([DatasetFeatures("a", "A"), DatasetFeatures("a", "B")])


def test_the_score_places_a_lonely_student_in_the_related_circle(library):
    rankings = {"a": ["iris"], "b": ["iris"], "c": ["digits"], "d": ["digits"], "e": ["penguins"]}
    result = match(rankings, similarity=library.score)
    assert result.related == {"e": "iris"} and result.assignments["e"] == "iris"


def test_student_similarity_favours_shared_first_choices():
    rankings = {
        "ana": ["iris", "wine", "digits"],
        "bo": ["iris", "wine", "digits"],
        "cy": ["digits", "penguins"],
        "dee": ["wine", "iris"],
        "eve": ["titanic"],
    }
    ranked = student_similarity(rankings, "ana")
    assert ranked[0] == ("bo", pytest.approx(1.0))
    assert [name for name, _ in ranked] == ["bo", "dee", "cy"]  # eve shares nothing
    assert dict(ranked)["dee"] == pytest.approx(dict(student_similarity(rankings, "dee"))["ana"])
    assert student_similarity(rankings, "nobody") == []
