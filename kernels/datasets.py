"""The data of the course's experiments, shipped inside the package: nothing is fetched.

>>> from kernels.datasets import load_iris, slides_iris
>>> load_iris().X.shape
(150, 4)
>>> X, y, features = slides_iris()
>>> X.shape, features
((100, 2), ('sepal length', 'petal length'))

``kernels/data/iris.csv`` is the UCI Machine Learning Repository's copy of Fisher's Iris
data, the file the slides load; ``kernels/data/README.md`` gives its provenance and the
two rows where it differs from Fisher's paper. All measurements are in centimetres.
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import NamedTuple

import numpy as np

FEATURES = ("sepal length", "sepal width", "petal length", "petal width")
SPECIES = ("Iris-setosa", "Iris-versicolor", "Iris-virginica")
UNIT = "cm"

# The slides' set-up: the first 100 rows (50 setosa, then 50 versicolor), two features.
SLIDES_ROWS = 100
SLIDES_FEATURES = ("sepal length", "petal length")
SLIDES_LABELS = {"Iris-setosa": -1, "Iris-versicolor": 1}


class Iris(NamedTuple):
    X: np.ndarray  # (150, 4) float64, in cm, columns in the order of feature_names
    species: np.ndarray  # (150,) str: "Iris-setosa", "Iris-versicolor" or "Iris-virginica"
    feature_names: tuple[str, ...]


class SlidesIris(NamedTuple):
    X: np.ndarray  # (100, 2) float64, in cm: sepal length and petal length
    y: np.ndarray  # (100,) int64: -1 for setosa, +1 for versicolor
    feature_names: tuple[str, ...]


def load_iris() -> Iris:
    """All 150 rows of ``kernels/data/iris.csv``."""
    source = resources.files("kernels").joinpath("data").joinpath("iris.csv")
    with source.open(newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))
    if tuple(header) != (*FEATURES, "species"):
        raise ValueError(f"{source}: unexpected header {header}")
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"{source}: every row must have {len(header)} fields")
    X = np.array([row[:-1] for row in rows], dtype=np.float64)
    species = np.array([row[-1] for row in rows])
    return Iris(X, species, FEATURES)


def slides_iris() -> SlidesIris:
    """The slides' two-class problem: setosa (-1) against versicolor (+1), in the
    plane of sepal length and petal length, as in

    ``y = np.where(df.iloc[0:100, 4] == 'Iris-setosa', -1, 1)``,
    ``X = df.iloc[0:100, [0, 2]].values``.
    """
    iris = load_iris()
    species = iris.species[:SLIDES_ROWS]
    if not set(species) <= set(SLIDES_LABELS):
        raise ValueError(f"the first {SLIDES_ROWS} rows of iris.csv are not setosa and versicolor")
    columns = [iris.feature_names.index(name) for name in SLIDES_FEATURES]
    X = iris.X[:SLIDES_ROWS, columns]
    y = np.array([SLIDES_LABELS[name] for name in species], dtype=np.int64)
    return SlidesIris(X, y, SLIDES_FEATURES)


def standardize(X) -> np.ndarray:
    """Each column shifted to mean 0 and scaled to standard deviation 1, as on the slides:
    ``(X[:, j] - X[:, j].mean()) / X[:, j].std()`` (the population standard deviation)."""
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    if np.any(std == 0):
        raise ValueError(f"standardize: columns {np.flatnonzero(std == 0).tolist()} are constant")
    return (X - X.mean(axis=0)) / std
