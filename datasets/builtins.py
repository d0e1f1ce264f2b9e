"""The built-in library: real classification datasets shipped inside installed packages.

Plain Python (no Django): the catalog, the profiler and the command line all
load them the same way, offline.
"""
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd


def _sklearn(loader_name: str, target: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from sklearn import datasets as sk

        bunch = getattr(sk, loader_name)(as_frame=True)
        frame = bunch.data.copy()
        # Class names, not codes: a student reads "malignant", not 0.
        frame[target] = pd.Categorical.from_codes(bunch.target, bunch.target_names).astype(str)
        return frame

    return load


def _penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return load_penguins()


@dataclass(frozen=True)
class Builtin:
    key: str
    title: str
    description: str
    source: str
    licence: str
    tags: str
    target: str
    load: Callable[[], pd.DataFrame]


BUILTINS: dict[str, Builtin] = {
    b.key: b
    for b in [
        Builtin(
            "iris",
            "Iris flowers",
            "Sepal and petal measurements of 150 iris flowers from three species. The classic first "
            "classification dataset: small, clean and balanced.",
            "R. A. Fisher (1936); scikit-learn's load_iris",
            "CC BY 4.0",
            "biology, botany, measurements",
            "species",
            _sklearn("load_iris", "species"),
        ),
        Builtin(
            "wine",
            "Wine cultivars",
            "Chemical analysis (alcohol, flavanoids, colour intensity, …) of 178 Italian wines from three "
            "cultivars. Thirteen numeric features on very different scales.",
            "UCI Machine Learning Repository; scikit-learn's load_wine",
            "CC BY 4.0",
            "chemistry, food",
            "cultivar",
            _sklearn("load_wine", "cultivar"),
        ),
        Builtin(
            "breast_cancer",
            "Breast cancer diagnosis (Wisconsin)",
            "Thirty features computed from images of breast mass cell nuclei, for 569 patients, labelled "
            "malignant or benign. A binary task where a false negative matters more than a false positive.",
            "UCI Machine Learning Repository; scikit-learn's load_breast_cancer",
            "CC BY 4.0",
            "medicine, health, images",
            "diagnosis",
            _sklearn("load_breast_cancer", "diagnosis"),
        ),
        Builtin(
            "digits",
            "Handwritten digits (8×8)",
            "1,797 tiny 8×8 grey-scale images of handwritten digits 0–9, one pixel per column. Ten "
            "classes; a first step towards image classification.",
            "UCI Machine Learning Repository; scikit-learn's load_digits",
            "CC BY 4.0",
            "images, vision, handwriting",
            "digit",
            _sklearn("load_digits", "digit"),
        ),
        Builtin(
            "penguins",
            "Palmer penguins",
            "Bill and flipper measurements, body mass, island and sex of 344 penguins of three species "
            "near Palmer Station, Antarctica. Has missing values and categorical columns.",
            "Gorman, Williams & Fraser (2014); the palmerpenguins package",
            "CC0 1.0",
            "biology, ecology, animals",
            "species",
            _penguins,
        ),
    ]
}


def load_builtin(key: str) -> pd.DataFrame:
    return BUILTINS[key].load()
