"""The offline grader: a linear model over word and character n-grams, shipped with the package.

The artifact (simulator/grader/model/offline_grader.npz) holds the feature vocabulary, idf
weights, two linear heads (which moves are present; which one is primary), per-label thresholds
and a JSON header. It is read with numpy alone (no pickle, nothing fetched), and scored with numpy.
A turn that speaks to the grader instead of the speaker (simulator/grader/guard.py) is `other`
with the lowest score (in artifacts trained with the guard). LISTENLAB_OFFLINE_MODEL names another
artifact (e.g. an older one, to compare graders with `listenlab eval-grader`).
"""

import json
import os
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from simulator.grader.base import GradeRequest
from simulator.grader.features import FeatureConfig, Vectoriser
from simulator.grader.guard import addresses_grader
from simulator.grader.rubric import hint_for, rationale_for, score_turn
from simulator.grades import TurnGrade
from simulator.labels import ROADBLOCKS, Label

ARTIFACT_NAME = "offline_grader.npz"
MODEL_ENV = "LISTENLAB_OFFLINE_MODEL"
GUARD_RATIONALE = (
    "The turn speaks to the grader (an instruction, a requested label or score), not to the "
    "speaker, so it is not a listening move."
)


@dataclass(frozen=True)
class Prediction:
    """One turn's predicted moves, primary and the probabilities behind them."""

    labels: list[Label]
    primary: Label
    presence: dict[Label, float]
    addresses_grader: bool = False


@dataclass(frozen=True)
class LinearArtifact:
    """Everything the offline grader needs, as loaded from the .npz file."""

    version: str
    labels: tuple[Label, ...]
    config: FeatureConfig
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray  # (features, 2 * labels): presence logits, then primary logits
    bias: np.ndarray
    thresholds: np.ndarray
    roadblock_rule: bool
    meta: dict
    guard: bool = False  # grader-addressed text -> `other` (artifacts made before the guard: off)

    @cached_property
    def vectoriser(self) -> Vectoriser:
        """The feature extractor for this vocabulary (made on first use)."""
        return Vectoriser(self.vocabulary, self.idf, self.config)

    def predict(self, requests: list[GradeRequest]) -> list[Prediction]:
        """Predict labels and primary for many turns at once."""
        logits = self._logits(*self.vectoriser.transform([(r.context, r.text) for r in requests]))
        count = len(self.labels)
        presence = _sigmoid(logits[:, :count]).tolist()
        primary = np.argmax(logits[:, count:], axis=1).tolist()
        thresholds = self.thresholds.tolist()
        rule = self.roadblock_rule
        made = [decide(p, q, self.labels, thresholds, rule) for p, q in zip(presence, primary, strict=True)]
        if not self.guard:
            return made
        return [guarded(m, r.text) for m, r in zip(made, requests, strict=True)]

    def _logits(self, indptr: np.ndarray, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
        rows = len(indptr) - 1
        contributions = self.weights[indices] * values[:, None]
        summed = np.zeros((rows, self.weights.shape[1]), dtype=np.float32)
        filled = np.flatnonzero(np.diff(indptr))
        if len(filled):
            summed[filled] = np.add.reduceat(contributions, indptr[filled], axis=0)
        return summed + self.bias


def decide(
    presence: list[float],
    primary_index: int,
    labels: tuple[Label, ...],
    thresholds: list[float],
    roadblock_rule: bool,
) -> Prediction:
    """Labels over their thresholds plus the primary head's choice (optionally roadblock first)."""
    primary = labels[primary_index]
    present = [label for label, p, t in zip(labels, presence, thresholds, strict=True) if p >= t]
    if primary not in present:
        present.insert(0, primary)
    if roadblock_rule:
        primary = roadblock_first(present, primary, presence, labels)
    return Prediction(labels=present, primary=primary, presence=dict(zip(labels, presence, strict=True)))


def guarded(prediction: Prediction, text: str) -> Prediction:
    """The prediction, or `other` alone when the text addresses the grader."""
    if not addresses_grader(text):
        return prediction
    return Prediction([Label.OTHER], Label.OTHER, prediction.presence, addresses_grader=True)


def roadblock_first(present: list[Label], primary: Label, presence: list[float], labels) -> Label:
    """A roadblock in the same turn outweighs a listening or neutral move as the primary one."""
    if primary in ROADBLOCKS:
        return primary
    roadblocks = [(presence[labels.index(label)], label) for label in present if label in ROADBLOCKS]
    return max(roadblocks)[1] if roadblocks else primary


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


class OfflineGrader:
    """Grades turns with the shipped linear model; fast (~thousands of turns a second)."""

    def __init__(self, artifact: LinearArtifact) -> None:
        self.artifact = artifact
        self.name = f"offline@{artifact.version}"
        self._grades: dict[tuple, TurnGrade] = {}  # a grade depends only on labels, primary and the guard

    def grade(self, request: GradeRequest) -> TurnGrade:
        """Grade one turn."""
        return self.grade_many([request])[0]

    def grade_many(self, requests: list[GradeRequest]) -> list[TurnGrade]:
        """Grade many turns in one vectorised pass, in order."""
        if not requests:
            return []
        return [self._to_grade(p) for p in self.artifact.predict(list(requests))]

    def predict(self, requests: list[GradeRequest]) -> list[Prediction]:
        """Labels, primary and per-label probabilities (for evaluation and debugging)."""
        return self.artifact.predict(list(requests)) if requests else []

    def _to_grade(self, prediction: Prediction) -> TurnGrade:
        """The grade for a prediction; equal predictions share one (immutable) grade."""
        key = (*prediction.labels, prediction.primary, prediction.addresses_grader)
        grade = self._grades.get(key)
        if grade is None:
            grade = self._grades[key] = self._new_grade(prediction)
        return grade

    def _new_grade(self, prediction: Prediction) -> TurnGrade:
        labels, primary = prediction.labels, prediction.primary
        aimed_at_grader = prediction.addresses_grader
        return TurnGrade(
            labels=labels,
            primary=primary,
            score=1.0 if aimed_at_grader else score_turn(labels, primary),
            rationale=GUARD_RATIONALE if aimed_at_grader else rationale_for(labels, primary),
            suggestion=hint_for(labels, primary),
            grader=self.name,
        )


def load_artifact(path: Path | None = None) -> LinearArtifact:
    """Read the artifact from a path, else from $LISTENLAB_OFFLINE_MODEL, else the shipped one."""
    if path is None and os.environ.get(MODEL_ENV):
        path = Path(os.environ[MODEL_ENV])
    if path is None:
        source = resources.files("simulator.grader") / "model" / ARTIFACT_NAME
        with resources.as_file(source) as shipped:
            return _read(Path(shipped))
    return _read(Path(path))


def _read(path: Path) -> LinearArtifact:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(data["meta"].tobytes().decode("utf-8"))
        terms = data["vocabulary"].tobytes().decode("utf-8").split("\n")
        return LinearArtifact(
            version=meta["version"],
            labels=tuple(Label(name) for name in meta["labels"]),
            config=FeatureConfig(**meta["features"]),
            vocabulary={term: column for column, term in enumerate(terms)},
            idf=data["idf"].astype(np.float64),
            weights=data["weights"].astype(np.float32),
            bias=data["bias"].astype(np.float32),
            thresholds=data["thresholds"].astype(np.float64),
            roadblock_rule=bool(meta.get("roadblock_rule", False)),
            meta=meta,
            guard=bool(meta.get("guard", False)),
        )


def save_artifact(path: Path, artifact: LinearArtifact) -> None:
    """Write an artifact as a compressed .npz (no pickled objects)."""
    meta = dict(artifact.meta, version=artifact.version, roadblock_rule=artifact.roadblock_rule)
    meta["guard"] = artifact.guard
    meta.update(labels=[label.value for label in artifact.labels], features=artifact.config.to_dict())
    terms = sorted(artifact.vocabulary, key=artifact.vocabulary.__getitem__)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        meta=_as_bytes(json.dumps(meta, sort_keys=True)),
        vocabulary=_as_bytes("\n".join(terms)),
        idf=artifact.idf.astype(np.float32),
        weights=artifact.weights.astype(np.float16),
        bias=artifact.bias.astype(np.float32),
        thresholds=artifact.thresholds.astype(np.float32),
    )


def _as_bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def load_offline_grader(path: Path | None = None) -> OfflineGrader:
    """The offline grader with the shipped artifact (or one at `path`)."""
    return OfflineGrader(load_artifact(path))
