"""The starter notebook of a profiled file: built with nbformat, executed with nbclient before it is offered.

`notebook_write(profile, data_path, out_path, timeout)` writes OUT.ipynb and a
copy of the data file beside it, executes the notebook in a python3 kernel
(the current interpreter: jupyter_client runs a "python" kernel command with
`sys.executable`; reached over Unix sockets in a private temporary folder,
never TCP) and returns {"path", "data_path", "executed",
"baseline_balanced_accuracy", "matches_profile"}; it raises ProfileError
(`notebook_failed`, `notebook_timeout`) with the failing step when the
notebook does not run.

The notebook repeats the profiler's steps in plain pandas / scikit-learn a
student can read and change: the same parsing (encoding, delimiter, decimal
comma, missing-value markers), the same model matrix (numbers, dates as days,
categories as codes by frequency), the baseline to beat with its exact
parameters, the same stratified folds and seed, so the balanced accuracy it
prints equals the profile's to 3 decimals.
"""
import os
import re
import shutil
from pathlib import Path
from tempfile import TemporaryDirectory

from datasets.profiling import baselines as bl
from datasets.profiling.errors import ProfileError

DEFAULT_TIMEOUT = 300
RESULT_LINE = re.compile(r"baseline balanced accuracy: ([0-9.]+)")
SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


def notebook_write(profile: dict, data_path: Path, out_path: Path, timeout: float = DEFAULT_TIMEOUT,
                   execute: bool = True) -> dict:
    """Write the starter notebook (and the data beside it), execute it, and say what it printed."""
    import nbformat

    out_path, data_path = Path(out_path), Path(data_path)
    if not profile.get("baseline_to_beat") or not profile.get("features"):
        raise ProfileError("notebook_no_baseline", "The profile has no baseline to beat, so there is no notebook to write.")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    copy = out_path.parent / data_path.name
    if copy.resolve() != data_path.resolve():
        shutil.copyfile(data_path, copy)
    notebook = build_notebook(profile, copy.name)
    result = {"path": str(out_path), "data_path": str(copy), "executed": False,
              "baseline_balanced_accuracy": None, "matches_profile": None}
    if execute:
        notebook = _execute(notebook, out_path.parent, timeout)
        value = printed_baseline(notebook)
        expected = profile["baseline_to_beat"]["value"]
        result.update(executed=True, baseline_balanced_accuracy=value,
                      matches_profile=value is not None and round(value, 3) == round(expected, 3))
    nbformat.write(notebook, str(out_path))
    return result


def printed_baseline(notebook) -> float | None:
    """The balanced accuracy the executed notebook printed for the baseline to beat."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            match = RESULT_LINE.search(output.get("text", "") if output.get("output_type") == "stream" else "")
            if match:
                return float(match.group(1))
    return None


def _execute(notebook, folder: Path, timeout: float):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    # The worker has no display: the kernel's inline backend draws PNGs with Agg, whatever MPLBACKEND says.
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    try:
        # The kernel talks to us over Unix sockets in a private folder, not plain-text TCP on a localhost
        # port that any process of the machine could reach (ipykernel warns about TCP on every start).
        with TemporaryDirectory(prefix="kernel-") as sockets:
            client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": str(folder)}})
            client.km = client.create_kernel_manager()
            client.km.transport, client.km.connection_file = "ipc", str(Path(sockets, "kernel.json"))
            client.execute(env=env)
    except CellTimeoutError as error:
        raise ProfileError("notebook_timeout", f"The starter notebook did not finish within {timeout:.0f} s "
                                               f"per cell: {str(error).splitlines()[0]}") from error
    except CellExecutionError as error:
        raise ProfileError("notebook_failed", "The starter notebook failed: "
                                              f"{error.ename}: {error.evalue}".strip()) from error
    except DeadKernelError as error:
        raise ProfileError("notebook_failed", f"The starter notebook's kernel died: {error}") from error
    return notebook


def _read_code(profile: dict, file_name: str) -> str:
    """pandas code that reads the file the way the profiler did."""
    from datasets.profiling.loading import MISSING_MARKERS

    load = profile.get("load") or {}
    fmt = load.get("format") or Path(file_name).suffix.lstrip(".").lower() or "csv"
    if fmt == "xlsx":
        return (f"df = pd.read_excel(DATA, na_values={MISSING_MARKERS!r}, keep_default_na=False)\n"
                "df.columns = [str(c).strip() for c in df.columns]")
    if fmt == "parquet":
        return "df = pd.read_parquet(DATA)"
    sep = SEPARATORS.get(load.get("delimiter") or "comma", load.get("delimiter") or ",")
    options = [f"sep={sep!r}", f"encoding={(load.get('encoding') or 'utf-8')!r}"]
    if load.get("decimal") == ",":
        options.append('decimal=","')
    options += [f"na_values={MISSING_MARKERS + ['']!r}", "keep_default_na=False"]
    if load.get("ragged_rows_skipped"):
        options.append('on_bad_lines="skip"')
    # Text columns are read as text: codes with leading zeros ("007") stay codes.
    text = [name for name in profile["column_names"]
            if profile["column_types"].get(name) in ("categorical", "identifier", "text")]
    if text:
        options.append(f"dtype={ {name: 'str' for name in text}!r}")
    return "df = pd.read_csv(\n    DATA,\n    " + ",\n    ".join(options) + ",\n)"


def build_notebook(profile: dict, file_name: str):
    """The notebook (not executed) for a profile and its data file name (in the notebook's folder)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    target = profile["target"]
    best = profile["baseline_to_beat"]
    matrix = profile["features"]["matrix"]
    classes = list(profile["classes"])
    cells = []

    def md(text: str):
        cells.append(new_markdown_cell(text.strip()))

    def code(text: str):
        cells.append(new_code_cell(text.strip()))

    md(f"""
# Starter notebook: predicting “{target}”

This notebook repeats what the course's profiler did with **{file_name}**, step by step, so you can
start your mini-project from a working baseline. Run the cells from top to bottom (Shift+Enter).

1. Load the data the way the profiler read it.
2. Look at the classes and at the profiler's warnings.
3. Turn the columns into numbers a model can use.
4. Train the **baseline to beat** ({best['model']}) with the same cross-validation as the profile.
5. Draw the learning curves, in balanced accuracy and in log loss (cross-entropy).
""")
    code("""
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from sklearn.base import clone
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, log_loss
from sklearn.model_selection import StratifiedKFold
""" + "\n" + _model_imports(best["model"]))
    md("""
## 1. Load the data

The options below are the ones the profiler found for this file (text encoding, the character
between fields, decimal commas, and which markers such as `NA` or `?` mean *missing*).
""")
    code(f"DATA = {file_name!r}\n" + _read_code(profile, file_name) + "\ndf.shape")
    md(f"""
## 2. The target and its classes

We predict **{target}**. Rows without a value in it cannot be used for training or scoring, so we
drop them. Balanced accuracy, the score used here, is the average of the recall of each class: a model
that always answers the largest class gets {1 / len(classes):.2f}, whatever the imbalance.
""")
    code(f"""
TARGET = {target!r}
CLASSES = {classes!r}
df = df[df[TARGET].notna()].reset_index(drop=True)


def as_label(value):
    # 3.0 and 3 are the same class "3"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


labels = df[TARGET].map(as_label)
y = pd.Categorical(labels, categories=CLASSES).codes.astype(np.int64)
counts = labels.value_counts().reindex(CLASSES)
print(counts.to_string())
print(f"majority-class accuracy (the accuracy of always answering {{counts.idxmax()!r}}): {{counts.max() / counts.sum():.3f}}")
counts.plot.barh(title="Examples per class")
plt.show()
""")
    warnings = profile.get("warnings") or []
    md("## The profiler's warnings\n\n" + ("\n".join(f"- **{w['code']}**: {w['message']}" for w in warnings)
                                           if warnings else "The profiler found nothing to warn about."))
    md(f"""
## 3. From columns to numbers

Models need a table of numbers. Like the profiler, we use {len(matrix['numbers'])} number column(s),
{len(matrix['dates'])} date column(s) (as days since 1970) and {len(matrix['categories'])} category column(s),
each category replaced by a code (the most frequent category gets 0). Missing values stay `NaN`; the
model's pipeline fills them in where it needs to. Columns left out (identifiers, constants, free text,
leaks) are explained in the profile.
""")
    code(f"""
NUMBERS = {matrix['numbers']!r}
DATES = {matrix['dates']!r}
CATEGORIES = {matrix['categories']!r}


def to_number(column):
    if column.dtype == object:  # numbers stored as text, maybe with decimal commas
        text = column.str.strip()
        if not text.str.contains(".", regex=False).any():
            text = text.str.replace(",", ".", regex=False)
        return pd.to_numeric(text, errors="coerce")
    return column.astype(float)


columns = [to_number(df[name]) for name in NUMBERS]
for name in DATES:
    stamps = pd.to_datetime(df[name], errors="coerce", format="mixed")
    days = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64) / 86_400e9
    columns.append(pd.Series(np.where(stamps.isna(), np.nan, days)))
for name in CATEGORIES:
    values = df[name].astype(object).where(df[name].notna(), None)
    frequency = values.value_counts()
    order = sorted(frequency.index, key=lambda v: (-frequency[v], str(v)))[:{_max_codes()}]
    codes = pd.Categorical(values, categories=order).codes.astype(float)
    codes[codes < 0] = {_max_codes()}  # rare categories share one code
    codes[values.isna().to_numpy()] = np.nan
    columns.append(pd.Series(codes))
X = np.column_stack(columns) if columns else np.zeros((len(df), 0))
X.shape
""")
    sample_note = ""
    if best["rows"] < sum(profile["classes"].values()):
        sample_note = (f" To stay fast the profiler trained it on a stratified sample of {best['rows']:,} rows; "
                       "we take the same sample.")
        code(_sample_code(best["rows"]))
    md(f"""
## 4. The baseline to beat: {best['model']}

Cross-validation splits the rows into {best['folds']} folds that keep the class proportions
(stratified), trains on {best['folds'] - 1} and tests on the one left out, {best['folds']} times. Every row is
predicted once by a model that never saw it.{sample_note} The model below has exactly the
profiler's settings, and the folds use the same seed, so you should get the profile's numbers.

**Log loss (cross-entropy)** scores the probabilities, not only the answers: it is low when the
model gives the true class a high probability, and very high when it is confidently wrong.
""")
    planned = best.get("planned_folds") or best["folds"]
    # The profile stopped after `folds` of `planned` folds when its time ran out: the notebook does too.
    folds_expr = "cv.split(X, y)" if planned == best["folds"] else f"list(cv.split(X, y))[:{best['folds']}]"
    code(f"""
model = {bl_source(best)}

cv = StratifiedKFold(n_splits={planned}, shuffle=True, random_state={best.get('seed', bl.SEED)})
proba = np.zeros((len(y), len(CLASSES)))
tested = np.zeros(len(y), dtype=bool)
for train, test in {folds_expr}:
    fitted = clone(model).fit(X[train], y[train])
    proba[np.ix_(test, fitted.classes_)] = fitted.predict_proba(X[test])
    tested[test] = True
predicted = proba.argmax(axis=1)
y_, predicted_, proba_ = y[tested], predicted[tested], proba[tested]
print(f"baseline balanced accuracy: {{balanced_accuracy_score(y_, predicted_):.6f}}")
print(f"accuracy: {{accuracy_score(y_, predicted_):.3f}}")
print(f"macro F1: {{f1_score(y_, predicted_, average='macro'):.3f}}")
print(f"log loss: {{log_loss(y_, np.clip(proba_, 1e-15, 1), labels=list(range(len(CLASSES)))):.3f}}")
print("profile:  balanced accuracy {best['value']:.3f}, log loss {best['log_loss']:.3f}")
""")
    md("""
## 5. Learning curves

We train on growing parts of each training fold and score on the fold left out. **How to read them:**
if the validation curve is still rising at the right, more data would help; if the training score
is far better than the validation score, the model overfits (memorises) and a simpler or more
regularised model may do better. The log-loss curve tells the same story for the probabilities
(lower is better).
""")
    code("""
fractions = [0.1, 0.25, 0.5, 1.0]
sizes, curves = [], {"train": [], "validation": [], "train loss": [], "validation loss": []}
splits = list(cv.split(X, y))[:2]
for fraction in fractions:
    scores = []
    for train, test in splits:
        part = np.sort(np.random.default_rng(0).permutation(train)[: max(20, int(fraction * len(train)))])
        fitted = clone(model).fit(X[part], y[part])
        p_train = np.zeros((len(part), len(CLASSES)))
        p_train[:, fitted.classes_] = fitted.predict_proba(X[part])
        p_test = np.zeros((len(test), len(CLASSES)))
        p_test[:, fitted.classes_] = fitted.predict_proba(X[test])
        labels_ = list(range(len(CLASSES)))
        scores.append((
            balanced_accuracy_score(y[part], p_train.argmax(axis=1)),
            balanced_accuracy_score(y[test], p_test.argmax(axis=1)),
            log_loss(y[part], np.clip(p_train, 1e-15, 1), labels=labels_),
            log_loss(y[test], np.clip(p_test, 1e-15, 1), labels=labels_),
        ))
    mean = np.mean(scores, axis=0)
    sizes.append(len(part))
    for key, value in zip(curves, mean):
        curves[key].append(value)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.plot(sizes, curves["train"], "o-", label="training")
left.plot(sizes, curves["validation"], "o-", label="validation")
left.set(title="Balanced accuracy (higher is better)", xlabel="training rows")
right.plot(sizes, curves["train loss"], "o-", label="training")
right.plot(sizes, curves["validation loss"], "o-", label="validation")
right.set(title="Log loss (lower is better)", xlabel="training rows")
left.legend()
plt.tight_layout()
plt.show()
""")
    md(f"""
## What to try next

- **Beat {best['value']:.3f}** balanced accuracy — and compare log loss ({best['log_loss']:.3f}) too: a model can be
  right more often but over-confident.
- Look at the confusion matrix: which classes does the model mix up, and why might that be?
- Try another model family from the profile, then tune one or two of its settings with cross-validation
  (never on the test fold).
- Engineer a feature from what you know about the domain, or use a column the profiler left out (free
  text, dates) in a new way.
- If the learning curve still rises, more data (or a simpler model) may help; if the training score is far
  above the validation score, regularise.
- Write down what you tried and the score each time: that is your project's iteration log.
""")
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    return notebook


def _max_codes() -> int:
    from datasets.profiling.profile import MAX_CATEGORY_CODES

    return MAX_CATEGORY_CODES


def bl_source(best: dict) -> str:
    """The baseline's estimator as source code: stored in the profile when it was fitted."""
    source = best.get("estimator")
    if not source:
        raise ProfileError("notebook_no_baseline", "The profile does not say how its baseline was built; profile it again.")
    return source.replace("\n", "\n" + " " * len("model = "))


def _model_imports(model: str) -> str:
    return "\n".join([
        "from sklearn.compose import ColumnTransformer",
        "from sklearn.dummy import DummyClassifier",
        "from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier",
        "from sklearn.impute import SimpleImputer",
        "from sklearn.linear_model import LogisticRegression",
        "from sklearn.naive_bayes import GaussianNB",
        "from sklearn.neighbors import KNeighborsClassifier",
        "from sklearn.neural_network import MLPClassifier",
        "from sklearn.pipeline import Pipeline",
        "from sklearn.preprocessing import OneHotEncoder, StandardScaler",
        "from sklearn.tree import DecisionTreeClassifier",
    ])


def _sample_code(rows: int) -> str:
    return f"""
# The profiler's stratified sample: shuffle within each class (seed {bl.SEED}), interleave the classes in
# proportion, keep the first {rows:,} rows (at least 10 of every class), in the file's order.
rng = np.random.default_rng({bl.SEED})
noise = rng.random(len(y))
by_class = np.lexsort((noise, y))
class_sizes = np.bincount(y, minlength=len(CLASSES))
starts = np.concatenate([[0], np.cumsum(class_sizes)[:-1]])
rank = np.empty(len(y))
rank[by_class] = np.arange(len(y)) - starts[y[by_class]]
key = (rank + 0.5) / class_sizes[y] + noise * 1e-9
key[rank < 10] -= 1
sample = np.sort(np.argsort(key, kind="stable")[:{rows}])
X, y = X[sample], y[sample]
"""
