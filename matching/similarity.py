"""How alike two datasets are, and two students' lists: for suggestions and "related" circles.

Plain Python on scikit-learn (no Django). A course catalog has 40-200 datasets,
so `DatasetSimilarity.fit` computes the whole score matrix at once: cheap
enough per request (measured here: 13 ms for 40 datasets, 40 ms for 200;
bench/match_bench.py prints it).
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

# How much each kind of evidence counts when both datasets have it. Words say
# most about the subject; shared tags are a deliberate signal from whoever
# curated the catalog; the shape of the table only separates, say, a tiny
# clean table from a wide image dataset.
TEXT_WEIGHT, TAG_WEIGHT, STATS_WEIGHT = 0.6, 0.25, 0.15
# Differences at which a statistic stops counting as similar: three orders of
# magnitude of rows, two of columns, a factor of 8 in classes, all-numeric
# against all-categorical. Fixed scales, so a score does not move when an
# unrelated dataset joins the catalog.
_STAT_SCALES = {"rows": 3.0, "columns": 2.0, "classes": 3.0, "numeric_share": 1.0}


@dataclass(frozen=True)
class DatasetFeatures:
    key: str
    title: str
    description: str = ""
    tags: Sequence[str] = ()
    rows: int | None = None
    columns: int | None = None
    classes: int | None = None
    numeric_share: float | None = None

    def stats(self) -> dict[str, float]:
        """The statistics that are known, on the scales of `_STAT_SCALES`."""
        values = {
            "rows": math.log10(self.rows + 1) if self.rows is not None else None,
            "columns": math.log10(self.columns + 1) if self.columns is not None else None,
            "classes": math.log2(self.classes) if self.classes else None,
            "numeric_share": self.numeric_share,
        }
        return {name: value for name, value in values.items() if value is not None}


class DatasetSimilarity:
    """Scores in [0, 1] between the datasets it was fitted on (1 for a dataset and itself)."""

    def __init__(self, keys: list[str], matrix: np.ndarray):
        self.keys = keys
        self._index = {key: i for i, key in enumerate(keys)}
        self._matrix = matrix

    @classmethod
    def fit(cls, items: Sequence[DatasetFeatures]) -> "DatasetSimilarity":
        """Blend three similarities, each weighted only where both datasets have the evidence.

        1. Text: TF-IDF over title (twice: it is the densest description) and
           description, words and word pairs, English stop words removed,
           singular and plural folded; cosine.
        2. Tags: cosine over the sets of normalised tags.
        3. Statistics: 1 - mean scaled difference over the statistics both know.
        """
        keys = [item.key for item in items]
        if len(set(keys)) != len(keys):
            raise ValueError("dataset keys must be unique")
        n = len(items)
        total = np.zeros((n, n))
        weights = np.zeros((n, n))
        if n:
            text = [f"{item.title} {item.title} {item.description}" for item in items]
            has_text = np.array([bool(t.strip()) for t in text])
            words = _cosine(
                text, tokenizer=_words, token_pattern=None, stop_words="english", ngram_range=(1, 2),
                strip_accents="unicode",
            )
            _add(total, weights, words, has_text, TEXT_WEIGHT)
            tags = [sorted({t.strip().casefold() for t in item.tags if t.strip()}) for item in items]
            has_tags = np.array([bool(t) for t in tags])
            _add(total, weights, _cosine(tags, analyzer=lambda t: t), has_tags, TAG_WEIGHT)
            stats_score, stats_known = _stats_similarity([item.stats() for item in items])
            total += STATS_WEIGHT * stats_score * stats_known
            weights += STATS_WEIGHT * stats_known
        matrix = np.divide(total, weights, out=np.zeros((n, n)), where=weights > 0)
        matrix = np.clip((matrix + matrix.T) / 2, 0.0, 1.0)  # symmetric despite rounding
        np.fill_diagonal(matrix, 1.0)
        return cls(keys, matrix)

    def score(self, a: str, b: str) -> float:
        """Similarity of two fitted datasets; 0 when either is unknown (1 for a == b)."""
        if a == b:
            return 1.0
        if a not in self._index or b not in self._index:
            return 0.0
        return float(self._matrix[self._index[a], self._index[b]])

    def most_similar(self, key: str, *, k: int = 3, among: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """The k datasets most similar to `key` (itself excluded), best first, ties by key."""
        candidates = self.keys if among is None else [c for c in among if c in self._index]
        scored = [(c, self.score(key, c)) for c in dict.fromkeys(candidates) if c != key]
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored[:k]


def _words(text: str) -> list[str]:
    """Words with a plural "s" folded ("penguins" -> "penguin"); stop words left for the vectorizer."""
    return [w if w in ENGLISH_STOP_WORDS else _singular(w) for w in _WORD.findall(text.casefold())]


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_WORD = re.compile(r"(?u)\b\w\w+\b")


def _cosine(documents: list, **vectorizer) -> np.ndarray:
    if not any(documents):
        return np.zeros((len(documents), len(documents)))
    vectors = TfidfVectorizer(sublinear_tf=True, **vectorizer).fit_transform(documents)
    return cosine_similarity(vectors)


def _add(total: np.ndarray, weights: np.ndarray, scores: np.ndarray, present: np.ndarray, weight: float) -> None:
    both = np.outer(present, present)
    total += weight * scores * both
    weights += weight * both


def _stats_similarity(stats: list[dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(1 - mean scaled difference, whether any statistic is shared) for every pair."""
    n = len(stats)
    differences = np.zeros((n, n))
    shared = np.zeros((n, n))
    for name, scale in _STAT_SCALES.items():
        values = np.array([s.get(name, np.nan) for s in stats], dtype=float)
        known = ~np.isnan(values)
        both = np.outer(known, known)
        gap = np.minimum(np.abs(values[:, None] - values[None, :]) / scale, 1.0)
        differences += np.where(both, gap, 0.0)
        shared += both
    score = 1.0 - np.divide(differences, shared, out=np.zeros((n, n)), where=shared > 0)
    return score, (shared > 0).astype(float)


def student_similarity(
    rankings: Mapping[str, Sequence[str]], student: str, *, k: int = 5
) -> list[tuple[str, float]]:
    """The k classmates whose lists overlap most with `student`'s, best first (ties by name).

    Each list is a vector with weight 1/rank on its datasets (a shared first
    choice counts more than a shared fifth); the score is the cosine of two
    such vectors: 1 for the same list in the same order, 0 for nothing shared.
    Classmates with nothing in common are left out.
    """
    names = sorted(rankings)
    if student not in rankings:
        return []
    datasets = {d: j for j, d in enumerate(sorted({d for lst in rankings.values() for d in lst}))}
    rows, cols, vals = [], [], []
    for i, name in enumerate(names):
        for r, d in enumerate(dict.fromkeys(rankings[name]), start=1):
            rows.append(i)
            cols.append(datasets[d])
            vals.append(1.0 / r)
    vectors = sparse.csr_matrix((vals, (rows, cols)), shape=(len(names), len(datasets)))
    scores = cosine_similarity(vectors, vectors[names.index(student)]).ravel()
    ranked = sorted(
        ((names[i], float(scores[i])) for i in np.flatnonzero(scores > 1e-12) if names[i] != student),
        key=lambda item: (-item[1], item[0]),
    )
    return ranked[:k]
