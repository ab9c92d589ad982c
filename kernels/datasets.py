"""The data of the course's experiments, shipped inside the package: nothing is fetched.

>>> from kernels.datasets import load_iris, slides_iris
>>> load_iris().X.shape
(150, 4)
>>> X, y, features = slides_iris()
>>> X.shape, features
((100, 2), ('sepal length', 'petal length'))
>>> planar_flower().X.shape
(400, 2)

``kernels/data/iris.csv`` is the UCI Machine Learning Repository's copy of Fisher's Iris
data, the file the slides load; ``kernels/data/README.md`` gives its provenance and the
two rows where it differs from Fisher's paper. All measurements are in centimetres.
The "flower" of the shallow-network exercise is not a file: ``planar_flower`` generates
it from its formula, with the original's random numbers.
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


# Two species a line cannot separate in the slides' plane: rows 51-150 of iris.csv.
NONSEPARABLE_LABELS = {"Iris-versicolor": -1, "Iris-virginica": 1}


class Iris(NamedTuple):
    X: np.ndarray  # (150, 4) float64, in cm, columns in the order of feature_names
    species: np.ndarray  # (150,) str: "Iris-setosa", "Iris-versicolor" or "Iris-virginica"
    feature_names: tuple[str, ...]


class SlidesIris(NamedTuple):
    X: np.ndarray  # (100, 2) float64, in cm: sepal length and petal length
    y: np.ndarray  # (100,) int64: -1 for setosa, +1 for versicolor
    feature_names: tuple[str, ...]


class Planar(NamedTuple):
    X: np.ndarray  # (m, 2) float64: the points, one per row
    y: np.ndarray  # (m,) int64: 0 (red in the course's plots) or 1 (blue)


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


def nonseparable_iris() -> SlidesIris:
    """Versicolor (-1) against virginica (+1) in the slides' plane (sepal length, petal
    length): rows 51–150 in file order, as ``df.iloc[50:150, [0, 2]]`` would take them.

    No line separates them: row 73 (versicolor) and row 124 (virginica) have the same
    measurements, sepal length 6.3 cm and petal length 4.9 cm.
    """
    iris = load_iris()
    rows = np.isin(iris.species, list(NONSEPARABLE_LABELS))
    columns = [iris.feature_names.index(name) for name in SLIDES_FEATURES]
    X = iris.X[rows][:, columns]
    y = np.array([NONSEPARABLE_LABELS[name] for name in iris.species[rows]], dtype=np.int64)
    return SlidesIris(X, y, SLIDES_FEATURES)


# The flower of the course's shallow-network exercise (planar_utils.load_planar_dataset).
FLOWER_POINTS = 400
FLOWER_RAY = 4.0  # the longest petal: the radius is a·sin(4θ) plus noise
FLOWER_NOISE = 0.2  # standard deviation of the noise on the angle and on the radius
FLOWER_SEED = 1  # the original's np.random.seed(1)


def planar_flower(m: int = FLOWER_POINTS, seed: int = FLOWER_SEED) -> Planar:
    """The "flower": two classes of m/2 points each, a four-petalled rose r = a·sin(4θ)
    whose petals alternate between the classes, so no line separates them.

    Class j (0, then 1) takes m/2 angles θ evenly spaced over [3.12·j, 3.12·(j + 1)], each
    plus noise N(0, 0.2²); the radius is r = a·sin(4θ) + N(0, 0.2²) with a = 4; the point
    is (r·sin θ, r·cos θ). The noise is drawn from ``np.random.RandomState(seed)`` in the
    original's order (all the angles' noise of a class, then its radii's), so with the
    default seed 1 the points are exactly those of the course's
    ``load_planar_dataset()``, whose ``np.random.seed(1)`` seeds the same generator.
    The original returns X as (2, m) and Y as (1, m), samples as columns; here samples
    are rows, X (m, 2) and y (m,), the points in the same order.
    """
    if m < 2 or m % 2:
        raise ValueError(f"planar_flower: m must be an even number >= 2, got {m}")
    rng = np.random.RandomState(seed)  # the legacy generator, to reproduce the original
    per_class = m // 2
    X = np.zeros((m, 2))
    y = np.zeros(m, dtype=np.int64)
    for label in (0, 1):
        rows = slice(per_class * label, per_class * (label + 1))
        theta = np.linspace(label * 3.12, (label + 1) * 3.12, per_class)
        theta = theta + rng.randn(per_class) * FLOWER_NOISE
        radius = FLOWER_RAY * np.sin(4 * theta) + rng.randn(per_class) * FLOWER_NOISE
        X[rows] = np.column_stack([radius * np.sin(theta), radius * np.cos(theta)])
        y[rows] = label
    return Planar(X, y)


def standardize(X) -> np.ndarray:
    """Each column shifted to mean 0 and scaled to standard deviation 1, as on the slides:
    ``(X[:, j] - X[:, j].mean()) / X[:, j].std()`` (the population standard deviation)."""
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    if np.any(std == 0):
        raise ValueError(f"standardize: columns {np.flatnonzero(std == 0).tolist()} are constant")
    return (X - X.mean(axis=0)) / std
