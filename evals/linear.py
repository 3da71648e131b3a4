"""Fit the offline grader's linear heads (presence per label + primary) on any feature matrix."""

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from evals.metrics import presence_matrix
from evals.records import LabelledTurn
from evals.split import is_annomi
from simulator.grader.features import FeatureConfig, Vectoriser, smooth_idf, turn_features
from simulator.grader.offline import decide
from simulator.labels import ALL_LABELS, Label

ABSENT_BIAS = -30.0
JOBS = min(4, os.cpu_count() or 1)
THRESHOLD_GRID = np.round(np.arange(0.15, 0.86, 0.05), 2)


@dataclass(frozen=True)
class LinearSettings:
    """Hyper-parameters chosen on the dev split."""

    features: FeatureConfig = field(default_factory=lambda: FeatureConfig(char_weight=0.5, cues=True))
    c_presence: float = 4.0
    c_primary: float = 4.0
    authored_weight: float = 2.0
    annomi_primary_weight: float = 1.0  # extra factor on AnnoMI rows in the primary head only
    min_df: int = 2
    roadblock_rule: bool = False


@dataclass(frozen=True)
class Heads:
    """Weights (features x 18) and bias of the presence and primary heads."""

    weights: np.ndarray
    bias: np.ndarray


def documents_of(turns: Sequence[LabelledTurn], config: FeatureConfig) -> list[list[str]]:
    """Feature strings of every turn."""
    return [turn_features(turn.context, turn.text, config) for turn in turns]


def build_vocabulary(documents: Sequence[list[str]], min_df: int) -> tuple[dict[str, int], np.ndarray]:
    """Features seen in at least min_df documents, with their smoothed idf."""
    frequency: Counter[str] = Counter()
    for features in documents:
        frequency.update(set(features))
    kept = sorted(term for term, count in frequency.items() if count >= min_df)
    idf = smooth_idf(np.array([frequency[term] for term in kept], dtype=np.float64), len(documents))
    return {term: column for column, term in enumerate(kept)}, idf


def design_matrix(
    turns: Sequence[LabelledTurn], vocabulary: dict[str, int], idf: np.ndarray, config: FeatureConfig
) -> sparse.csr_matrix:
    """The TF-IDF matrix exactly as the shipped grader computes it (same Vectoriser)."""
    indptr, indices, values = Vectoriser(vocabulary, idf, config).transform(
        [(t.context, t.text) for t in turns]
    )
    return sparse.csr_matrix((values, indices, indptr), shape=(len(turns), len(vocabulary)))


def sample_weights(turns: Sequence[LabelledTurn], authored_weight: float) -> np.ndarray:
    """AnnoMI rows weigh 1, the project's own rows `authored_weight`."""
    return np.array([1.0 if is_annomi(turn) else authored_weight for turn in turns])


def fit_heads(features, turns: Sequence[LabelledTurn], settings: LinearSettings) -> Heads:
    """One binary logistic regression per label, and a multinomial one for the primary."""
    weights = sample_weights(turns, settings.authored_weight)
    gold = presence_matrix([turn.labels for turn in turns])
    jobs = [
        delayed(_fit_presence)(features, gold[:, i], weights, settings.c_presence)
        for i in range(len(ALL_LABELS))
    ]
    primary_weights = weights * np.where([is_annomi(t) for t in turns], settings.annomi_primary_weight, 1.0)
    jobs.append(delayed(_fit_primary)(features, turns, primary_weights, settings.c_primary))
    *presence, (primary_coef, primary_bias) = Parallel(n_jobs=JOBS)(jobs)
    columns, biases = [coef for coef, _ in presence], [bias for _, bias in presence]
    stacked = np.column_stack([*columns, primary_coef])
    return Heads(weights=stacked, bias=np.concatenate([biases, primary_bias]))


def _fit_presence(features, target: np.ndarray, weights: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    if target.sum() == 0:
        return np.zeros(features.shape[1]), ABSENT_BIAS
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    model.fit(features, target, sample_weight=weights)
    return model.coef_[0], float(model.intercept_[0])


def _fit_primary(features, turns, weights: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    target = np.array([turn.primary.value for turn in turns])
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    model.fit(features, target, sample_weight=weights)
    rows, intercepts = model.coef_, model.intercept_
    if len(model.classes_) == 2:  # binary: class 1 scores coef.x + b against 0 for class 0
        rows, intercepts = np.vstack([np.zeros_like(rows[0]), rows[0]]), np.array([0.0, intercepts[0]])
    coef = np.zeros((features.shape[1], len(ALL_LABELS)))
    bias = np.full(len(ALL_LABELS), ABSENT_BIAS)
    for row, name in enumerate(model.classes_):
        column = ALL_LABELS.index(Label(name))
        coef[:, column], bias[column] = rows[row], intercepts[row]
    return coef, bias


def raw_outputs(features, heads: Heads) -> tuple[np.ndarray, np.ndarray]:
    """Presence probabilities and primary logits for a feature matrix."""
    logits = np.asarray(features @ heads.weights) + heads.bias
    count = len(ALL_LABELS)
    return 1.0 / (1.0 + np.exp(-logits[:, :count])), logits[:, count:]


def tune_thresholds(presence: np.ndarray, turns: Sequence[LabelledTurn]) -> np.ndarray:
    """Per label, the probability cut-off that maximises F1 on these (dev) turns."""
    gold = presence_matrix([turn.labels for turn in turns])
    thresholds = np.full(len(ALL_LABELS), 0.5)
    for index in range(len(ALL_LABELS)):
        if gold[:, index].sum() == 0:
            continue
        thresholds[index] = max(THRESHOLD_GRID, key=lambda t: _f1(gold[:, index], presence[:, index] >= t))
    return thresholds


def _f1(truth: np.ndarray, guess: np.ndarray) -> float:
    hits = float((truth & guess).sum())
    return 2 * hits / (truth.sum() + guess.sum()) if hits else 0.0


def decisions(presence: np.ndarray, primary: np.ndarray, thresholds: np.ndarray, roadblock_rule: bool):
    """(labels, primary) per turn, decided exactly as the shipped grader decides."""
    indices = np.argmax(primary, axis=1).tolist()
    cut = list(np.asarray(thresholds).tolist())
    made = [
        decide(p, q, ALL_LABELS, cut, roadblock_rule) for p, q in zip(presence.tolist(), indices, strict=True)
    ]
    return [m.labels for m in made], [m.primary for m in made]
