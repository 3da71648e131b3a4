"""Pure agreement metrics: per-label P/R/F1, macro-F1, Cohen's kappa on primary, confusion matrix."""

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field
from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

from simulator.labels import ALL_LABELS, Label, family

FAMILIES = ("listening", "neutral", "roadblock")


class LabelScore(BaseModel):
    """Precision, recall and F1 of one label's presence, with its gold support."""

    label: Label
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


class Agreement(BaseModel):
    """How far a grader agrees with gold labels on a set of turns."""

    turns: int
    per_label: list[LabelScore]
    macro_f1: float
    primary_macro_f1: float
    primary_accuracy: float
    primary_kappa: float
    labels: list[Label]
    confusion: list[list[int]]  # rows: gold primary, columns: predicted primary
    family_f1: dict[str, float] = Field(default_factory=dict)  # mean label F1 per label family


def presence_matrix(
    label_sets: Sequence[Sequence[Label]], labels: Sequence[Label] = ALL_LABELS
) -> np.ndarray:
    """Turns x labels, 1 where the label is present."""
    matrix = np.zeros((len(label_sets), len(labels)), dtype=int)
    column = {label: index for index, label in enumerate(labels)}
    for row, found in enumerate(label_sets):
        for label in found:
            matrix[row, column[Label(label)]] = 1
    return matrix


def per_label_scores(
    gold: Sequence[Sequence[Label]], predicted: Sequence[Sequence[Label]]
) -> list[LabelScore]:
    """Presence P/R/F1 for each of the nine labels (0 where undefined)."""
    truth, guess = presence_matrix(gold), presence_matrix(predicted)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, guess, average=None, zero_division=0
    )
    return [
        LabelScore(
            label=label,
            precision=float(precision[i]),
            recall=float(recall[i]),
            f1=float(f1[i]),
            support=int(support[i]),
            predicted=int(guess[:, i].sum()),
        )
        for i, label in enumerate(ALL_LABELS)
    ]


def macro_f1(scores: Sequence[LabelScore]) -> float:
    """Mean F1 over the labels that occur in the gold data (absent labels would only add noise)."""
    present = [score.f1 for score in scores if score.support > 0]
    return float(np.mean(present)) if present else 0.0


def family_f1(scores: Sequence[LabelScore]) -> dict[str, float]:
    """Per label family (listening, neutral, roadblock): the mean F1 of its labels present in gold."""
    found = {}
    for name in FAMILIES:
        present = [s.f1 for s in scores if family(s.label) == name and s.support > 0]
        if present:
            found[name] = float(np.mean(present))
    return found


def primary_kappa(gold: Sequence[Label], predicted: Sequence[Label]) -> float:
    """Cohen's kappa between gold and predicted primary labels (1.0 when both are constant and equal)."""
    if len(set(gold) | set(predicted)) == 1:
        return 1.0
    return float(cohen_kappa_score([g.value for g in gold], [p.value for p in predicted]))


def primary_confusion(gold: Sequence[Label], predicted: Sequence[Label]) -> list[list[int]]:
    """9x9 counts: row = gold primary, column = predicted primary, in ALL_LABELS order."""
    names = [label.value for label in ALL_LABELS]
    matrix = confusion_matrix([g.value for g in gold], [p.value for p in predicted], labels=names)
    return matrix.tolist()


def primary_macro_f1(gold: Sequence[Label], predicted: Sequence[Label]) -> float:
    """Macro-F1 of the primary label, over the labels that occur as gold primary."""
    names = sorted({g.value for g in gold})
    if not names:
        return 0.0
    _, _, f1, _ = precision_recall_fscore_support(
        [g.value for g in gold], [p.value for p in predicted], labels=names, average=None, zero_division=0
    )
    return float(np.mean(f1))


def agreement(
    gold_labels: Sequence[Sequence[Label]],
    gold_primary: Sequence[Label],
    predicted_labels: Sequence[Sequence[Label]],
    predicted_primary: Sequence[Label],
) -> Agreement:
    """All the agreement figures for one set of turns."""
    if not (len(gold_labels) == len(gold_primary) == len(predicted_labels) == len(predicted_primary)):
        raise ValueError("gold and predicted must have the same number of turns")
    scores = per_label_scores(gold_labels, predicted_labels)
    correct = sum(g == p for g, p in zip(gold_primary, predicted_primary, strict=True))
    return Agreement(
        turns=len(gold_primary),
        per_label=scores,
        macro_f1=macro_f1(scores),
        primary_macro_f1=primary_macro_f1(gold_primary, predicted_primary),
        primary_accuracy=correct / len(gold_primary) if gold_primary else 0.0,
        primary_kappa=primary_kappa(gold_primary, predicted_primary) if gold_primary else 0.0,
        labels=list(ALL_LABELS),
        confusion=primary_confusion(gold_primary, predicted_primary),
        family_f1=family_f1(scores),
    )
