"""Real tables that install offline with packages, for checking the engine against plain scikit-learn.

Each entry is (loader, target). Loaders import their package lazily; statsmodels
is a test dependency, not an app one, so its tables are skipped when it is absent.
`plain_reference` is the yardstick of issue 12: the best mean balanced accuracy
of LogisticRegression, RandomForestClassifier and HistGradientBoostingClassifier
with default settings under 5-fold stratified cross-validation (shuffled, seed 0),
numbers imputed (and scaled for the linear model), text one-hot encoded.
"""
from collections.abc import Callable

import numpy as np
import pandas as pd


def _builtin(key: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from datasets.builtins import load_builtin

        return load_builtin(key)

    return load


def _statsmodels(name: str, transform=None) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import importlib

        frame = importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data.copy()
        return transform(frame) if transform else frame

    load.statsmodels = True
    return load


def _penguins_raw() -> pd.DataFrame:
    from palmerpenguins import load_penguins_raw

    return load_penguins_raw()


def _fair(frame: pd.DataFrame) -> pd.DataFrame:
    # The number of affairs is a quantity; "had an affair" is the classic binary version.
    frame["had_affair"] = np.where(frame.pop("affairs") > 0, "yes", "no")
    return frame


def _anes_party(frame: pd.DataFrame) -> pd.DataFrame:
    # Party identification (7 levels, strong Democrat … strong Republican) from everything but the vote.
    return frame.drop(columns=["vote"])


TABLES: dict[str, tuple[Callable[[], pd.DataFrame], str]] = {
    "iris": (_builtin("iris"), "species"),
    "wine": (_builtin("wine"), "cultivar"),
    "breast_cancer": (_builtin("breast_cancer"), "diagnosis"),
    "digits": (_builtin("digits"), "digit"),
    "penguins": (_builtin("penguins"), "species"),
    "penguins_sex": (_builtin("penguins"), "sex"),
    "penguins_raw": (_penguins_raw, "Species"),
    "anes96_vote": (_statsmodels("anes96"), "vote"),
    "anes96_party": (_statsmodels("anes96", _anes_party), "PID"),
    "fair_affair": (_statsmodels("fair", _fair), "had_affair"),
    "fair_religious": (_statsmodels("fair", _fair), "religious"),
    "modechoice": (_statsmodels("modechoice"), "choice"),
    "spector": (_statsmodels("spector"), "GRADE"),
}


def available() -> list[str]:
    """The tables whose packages are installed (statsmodels is a test dependency only)."""
    try:
        import statsmodels  # noqa: F401
    except ImportError:
        return [name for name, (loader, _) in TABLES.items() if not getattr(loader, "statsmodels", False)]
    return list(TABLES)


def load(name: str) -> tuple[pd.DataFrame, str]:
    loader, target = TABLES[name]
    return loader(), target


def plain_reference(frame: pd.DataFrame, target: str, seed: int = 0) -> dict[str, float]:
    """Mean 5-fold stratified balanced accuracy of the three plain scikit-learn models."""
    import warnings

    from threadpoolctl import threadpool_limits
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    frame = frame[frame[target].notna()]
    X, y = frame.drop(columns=[target]), frame[target].astype(str)
    text = X.select_dtypes(exclude="number").columns
    X = X.copy()
    X[text] = X[text].astype(object).where(X[text].notna(), "missing").astype(str)

    def encoded(numbers, categories):
        return ColumnTransformer([
            ("numbers", numbers, make_column_selector(dtype_include="number")),
            ("text", categories, make_column_selector(dtype_exclude="number")),
        ])

    one_hot = OneHotEncoder(handle_unknown="ignore")
    models = {
        "LogisticRegression": make_pipeline(
            encoded(make_pipeline(SimpleImputer(), StandardScaler()), one_hot), LogisticRegression()),
        "RandomForestClassifier": make_pipeline(
            encoded(SimpleImputer(), one_hot), RandomForestClassifier(random_state=seed)),
        "HistGradientBoostingClassifier": make_pipeline(
            encoded("passthrough", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
            HistGradientBoostingClassifier(random_state=seed)),
    }
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    scores = {}
    # One OpenMP thread: on a shared 2-core machine two busy-waiting threads are many times slower.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        for name, model in models.items():
            scores[name] = float(np.mean(cross_val_score(model, X, y, cv=cv, scoring="balanced_accuracy")))
    return scores
