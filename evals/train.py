"""Train the offline grader: `python -m evals.train` (or `listenlab train-grader`).

Reads evals/data/annomi.jsonl and every evals/data/authored_*.jsonl, picks hyper-parameters on
the dev split, refits on train + dev, scores the held-out test split once, and writes the
artifact to simulator/grader/model/ plus the figures to evals/results/offline_grader.json.
"""

import argparse
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from evals import agreement as agreement_file
from evals.linear import (
    LinearSettings,
    build_vocabulary,
    decisions,
    design_matrix,
    documents_of,
    fit_heads,
    raw_outputs,
    tune_thresholds,
)
from evals.metrics import Agreement, agreement
from evals.records import DATA_DIR, LabelledTurn, authored_files, read_labelled
from evals.split import is_annomi, select
from evals.summary import README
from evals.summary import main as render_readme
from simulator.grader.features import FeatureConfig
from simulator.grader.offline import ARTIFACT_NAME, LinearArtifact, load_offline_grader, save_artifact
from simulator.labels import ALL_LABELS, Label

MODEL_DIR = Path(__file__).resolve().parents[1] / "simulator" / "grader" / "model"
RESULTS = Path(__file__).parent / "results" / "offline_grader.json"
MAJOR_VERSION = "1"
MAPPING_MARGIN = 0.01  # ~0.75 bootstrap standard errors of the authored-dev score (629 rows)
PREVIOUS_METHOD = LinearSettings(features=FeatureConfig(char_weight=0.5), roadblock_rule=True)
PERSONAL_SETTINGS = frozenset({"peer_support", "forum", "friend", "partner", "family"})


@dataclass(frozen=True)
class Fitted:
    """A fitted linear grader before it is packed into an artifact."""

    settings: LinearSettings
    vocabulary: dict[str, int]
    idf: np.ndarray
    heads: object
    thresholds: np.ndarray

    def outputs(self, turns: Sequence[LabelledTurn]):
        features = design_matrix(turns, self.vocabulary, self.idf, self.settings.features)
        return raw_outputs(features, self.heads)

    def evaluate(self, turns: Sequence[LabelledTurn]) -> Agreement:
        return agreement_of(turns, self.outputs(turns), self.thresholds, self.settings.roadblock_rule)


def agreement_of(
    turns: Sequence[LabelledTurn], outputs, thresholds: np.ndarray, roadblock_rule: bool
) -> Agreement:
    """Agreement with the turns' gold labels of the decisions taken on raw (presence, primary) outputs."""
    presence, primary = outputs
    labels, primaries = decisions(presence, primary, thresholds, roadblock_rule)
    return agreement([t.labels for t in turns], [t.primary for t in turns], labels, primaries)


def load_turns(data_dir: Path = DATA_DIR, information_as: Label = Label.ADVICE) -> list[LabelledTurn]:
    """AnnoMI plus all authored files; AnnoMI 'information' turns mapped to `information_as`."""
    turns, _ = read_labelled(data_dir / "annomi.jsonl")
    turns = [_remap_information(turn, information_as) for turn in turns]
    for path in authored_files(data_dir):
        authored, bad = read_labelled(path, strict=False)
        for problem in bad:
            print(f"{path.name}: skipped {problem}")
        turns.extend(authored)
    return turns


def _remap_information(turn: LabelledTurn, target: Label) -> LabelledTurn:
    if turn.code != "therapist_input:information" or target == Label.ADVICE:
        return turn
    labels = [target, *(label for label in turn.labels if label not in {Label.ADVICE, target})]
    return turn.model_copy(update={"labels": labels, "primary": target})


def fit(
    train: Sequence[LabelledTurn], settings: LinearSettings, thresholds: np.ndarray | None = None
) -> Fitted:
    """Fit vocabulary, idf and heads on `train` (thresholds default to 0.5)."""
    documents = documents_of(train, settings.features)
    vocabulary, idf = build_vocabulary(documents, settings.min_df)
    heads = fit_heads(design_matrix(train, vocabulary, idf, settings.features), train, settings)
    cut = np.full(len(ALL_LABELS), 0.5) if thresholds is None else thresholds
    return Fitted(settings, vocabulary, idf, heads, cut)


def fit_and_tune(
    train: Sequence[LabelledTurn], dev: Sequence[LabelledTurn], settings: LinearSettings
) -> Fitted:
    """Fit on train, then set each label's threshold for best F1 on dev."""
    fitted = fit(train, settings)
    presence, _ = fitted.outputs(dev)
    return replace(fitted, thresholds=tune_thresholds(presence, dev))


def dev_score(fitted: Fitted, dev: Sequence[LabelledTurn]) -> float:
    """Model-selection score: mean over the two sources of (label macro-F1 + primary macro-F1) / 2."""
    scores = []
    for part in by_source(dev):
        if part:
            result = fitted.evaluate(part)
            scores.append((result.macro_f1 + result.primary_macro_f1) / 2)
    return float(np.mean(scores))


def by_source(turns: Sequence[LabelledTurn]) -> tuple[list[LabelledTurn], list[LabelledTurn]]:
    """(AnnoMI turns, authored turns), each in the given order."""
    return [t for t in turns if is_annomi(t)], [t for t in turns if not is_annomi(t)]


def _features(**change) -> Callable[[LinearSettings], LinearSettings]:
    return lambda settings: replace(settings, features=replace(settings.features, **change))


def _settings(**change) -> Callable[[LinearSettings], LinearSettings]:
    return lambda settings: replace(settings, **change)


DIMENSIONS: dict[str, list[Callable[[LinearSettings], LinearSettings]]] = {
    "c": [_settings(c_presence=c, c_primary=c) for c in (1.0, 4.0, 16.0)],
    "authored_weight": [_settings(authored_weight=w) for w in (1.0, 2.0, 4.0)],
    "char_weight": [_features(char_weight=w) for w in (1.0, 0.5, 0.25)],
    "context": [_features(context=flag) for flag in (True, False)],
    "positions": [_features(positions=flag) for flag in (True, False)],
    "shape": [_features(shape=flag) for flag in (True, False)],
    "char_range": [_features(char_min=2, word_trigrams=True), _features(char_min=3, word_trigrams=False)],
    "cues": [_features(cues=flag) for flag in (True, False)],
}


def selection_score(train, dev, settings: LinearSettings) -> dict[str, float]:
    """The model-selection score, from dev rows only: the mean of AnnoMI dev, authored dev and the
    cross-domain dev fold (fit on AnnoMI + counselling/workplace train rows, scored on the personal
    settings' dev rows), each (macro-F1 + primary macro-F1) / 2."""
    parts = _dev_parts(fit_and_tune(train, dev, settings), dev)
    formal = [[t for t in rows if not is_personal(t)] for rows in (train, dev)]
    personal = [t for t in dev if is_personal(t)]
    if all(formal) and personal:
        parts["cross_domain_dev"] = _dev_parts(fit_and_tune(*formal, settings), personal)["authored_dev"]
    return {"dev_score": float(np.mean(list(parts.values()))), **parts}


def _dev_parts(fitted: Fitted, dev: Sequence[LabelledTurn]) -> dict[str, float]:
    parts = {}
    for name, rows in zip(("annomi_dev", "authored_dev"), by_source(dev), strict=True):
        if rows:
            result = fitted.evaluate(rows)
            parts[name] = (result.macro_f1 + result.primary_macro_f1) / 2
    return parts


def search(
    train: Sequence[LabelledTurn], dev: Sequence[LabelledTurn], log=print
) -> tuple[LinearSettings, list]:
    """Coordinate search over DIMENSIONS on the dev split; returns the best settings and the trail."""
    best = LinearSettings()
    scores = selection_score(train, dev, best)
    best_score = scores["dev_score"]
    trail = [{"settings": _describe(best), **scores}]
    log(f"dev score {best_score:.4f} for {_describe(best)}")
    tried = [best]
    for options in DIMENSIONS.values():
        for change in options:
            candidate = change(best)
            if candidate in tried:
                continue
            tried.append(candidate)
            scores = selection_score(train, dev, candidate)
            score = scores["dev_score"]
            trail.append({"settings": _describe(candidate), **scores})
            log(f"dev score {score:.4f} ({scores}) for {_describe(candidate)}")
            if score > best_score + 1e-4 or (score >= best_score - 1e-4 and is_simpler(candidate, best)):
                best, best_score = candidate, score
    return best, trail


def is_simpler(candidate: LinearSettings, best: LinearSettings) -> bool:
    """True when the candidate switches off a feature family that `best` uses (ties go to fewer features)."""
    flags = ("context", "positions", "shape", "word_trigrams", "cues")
    on = [sum(getattr(settings.features, flag) for flag in flags) for settings in (candidate, best)]
    return on[0] < on[1]


def choose_roadblock_rule(fitted: Fitted, dev: Sequence[LabelledTurn], log=print) -> bool:
    """Keep the post-rule "a roadblock present in the turn is its primary move" unless it lowers
    primary macro-F1 on the authored dev rows. Only those are judged: the project's convention is
    that a roadblock dominates a mixed turn, while AnnoMI's main behaviour follows MI coding."""
    authored = [turn for turn in dev if not is_annomi(turn)]
    if not authored:
        return False
    scores = {}
    for flag in (False, True):
        trial = replace(fitted, settings=replace(fitted.settings, roadblock_rule=flag))
        scores[flag] = trial.evaluate(authored).primary_macro_f1
        log(f"roadblock rule {flag}: authored dev primary macro-F1 {scores[flag]:.4f}")
    return scores[True] >= scores[False]


def _describe(settings: LinearSettings) -> dict:
    described = dict(settings.__dict__)
    described["features"] = settings.features.to_dict()
    return described


def pack(fitted: Fitted, data_digest: str, summary: dict) -> LinearArtifact:
    """The artifact the package ships, versioned by the data and settings it came from."""
    version = f"{MAJOR_VERSION}.{data_digest[:8]}"
    meta = {"trained_on": summary, "settings": _describe(fitted.settings)}
    return LinearArtifact(
        version=version,
        labels=ALL_LABELS,
        config=fitted.settings.features,
        vocabulary=fitted.vocabulary,
        idf=fitted.idf,
        weights=fitted.heads.weights,
        bias=fitted.heads.bias,
        thresholds=fitted.thresholds,
        roadblock_rule=fitted.settings.roadblock_rule,
        meta=meta,
        guard=True,
    )


def digest(turns: Sequence[LabelledTurn], settings: LinearSettings) -> str:
    """A short hash of the training rows and settings (the artifact's version suffix)."""
    hasher = hashlib.sha256(json.dumps(_describe(settings), sort_keys=True).encode())
    for turn in turns:
        hasher.update(turn.to_json().encode())
    return hasher.hexdigest()


def held_out_report(fitted: Fitted, test: Sequence[LabelledTurn]) -> dict:
    """Test-split agreement per source (AnnoMI transcripts, authored rows) and together."""
    annomi, authored = by_source(test)
    parts = {"annomi_test": annomi, "authored_test": authored, "all_test": list(test)}
    return {name: fitted.evaluate(rows).model_dump(mode="json") for name, rows in parts.items() if rows}


def is_personal(turn: LabelledTurn) -> bool:
    """Authored rows from peer support, forums, friends, partners and family."""
    return not is_annomi(turn) and turn.setting in PERSONAL_SETTINGS


def cross_domain_folds(train_rows, dev_rows, test_rows) -> dict[str, tuple]:
    """(fit rows, tune rows, test rows) of each cross-domain fold: one family of sources to another."""
    authored = [[t for t in rows if not is_annomi(t)] for rows in (train_rows, dev_rows)]
    annomi_test = [t for t in test_rows if is_annomi(t)]
    formal = [[t for t in rows if not is_personal(t)] for rows in (train_rows, dev_rows)]
    personal_test = [t for t in test_rows if is_personal(t)]
    return {
        "settings_cross_domain": (*formal, personal_test),
        "authored_to_annomi_test": (*authored, annomi_test),
    }


def cross_domain_report(train_rows, dev_rows, test_rows, settings: LinearSettings) -> dict:
    """Each fold fitted (thresholds tuned on its own dev rows) with the chosen and the previous method."""
    report = {}
    methods = {"new method": settings, "previous method": PREVIOUS_METHOD}
    for name, rows in cross_domain_folds(train_rows, dev_rows, test_rows).items():
        if all(rows):
            report[name] = {label: _fold_result(*rows, chosen) for label, chosen in methods.items()}
    return report


def _fold_result(fold_train, fold_dev, fold_test, settings: LinearSettings) -> dict:
    tuned = fit_and_tune(fold_train, fold_dev, settings)
    fitted = fit([*fold_train, *fold_dev], settings, tuned.thresholds)
    return fitted.evaluate(fold_test).model_dump(mode="json")


def choose_information_mapping(data_dir: Path, log=print) -> Label:
    """AnnoMI 'information' turns as advice (DESIGN.md's reading) unless 'other' is clearly better
    (by more than MAPPING_MARGIN of authored-dev score, whose gold labels this choice cannot change)."""
    best, best_score = Label.ADVICE, -1.0
    for target in (Label.ADVICE, Label.OTHER):
        turns = load_turns(data_dir, target)
        dev_authored = [t for t in select(turns, "dev") if not is_annomi(t)]
        if not dev_authored:
            return Label.ADVICE
        fitted = fit_and_tune(select(turns, "train"), select(turns, "dev"), LinearSettings())
        score = dev_score(fitted, dev_authored)
        log(f"information -> {target.value}: authored dev score {score:.4f}")
        if score > best_score + (MAPPING_MARGIN if best_score >= 0 else 0.0):
            best, best_score = target, score
    return best


def train(
    data_dir: Path = DATA_DIR, model_dir: Path = MODEL_DIR, results: Path = RESULTS, quick: bool = False
) -> dict:
    """The whole reproducible run; returns the summary that is also written to `results`."""
    information = Label.ADVICE if quick else choose_information_mapping(data_dir)
    turns = load_turns(data_dir, information)
    train_rows, dev_rows, test_rows = (select(turns, s) for s in ("train", "dev", "test"))
    settings, trail = (LinearSettings(), []) if quick else search(train_rows, dev_rows)
    tuned = fit_and_tune(train_rows, dev_rows, settings)
    settings = replace(settings, roadblock_rule=choose_roadblock_rule(tuned, dev_rows))
    thresholds = tuned.thresholds
    final = fit([*train_rows, *dev_rows], settings, thresholds)
    summary = _summary(turns, train_rows, dev_rows, test_rows, information)
    summary["files"] = {path.name: _row_count(path) for path in authored_files(data_dir)}
    artifact = pack(final, digest([*train_rows, *dev_rows], settings), summary)
    path = model_dir / ARTIFACT_NAME
    save_artifact(path, artifact)
    report = {
        "version": artifact.version,
        "artifact_bytes": path.stat().st_size,
        "summary": summary,
        "settings": _describe(settings),
        "search": trail,
        "test": held_out_report(final, test_rows),
        "cross_domain": {} if quick else cross_domain_report(train_rows, dev_rows, test_rows, settings),
    }
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    figures = agreement_report(report, path, data_dir, test_rows)
    agreement_file.write(figures, results.parent / "agreement.json")
    if results == RESULTS and README.exists():
        render_readme()
    return report


def agreement_report(report: dict, artifact: Path, data_dir: Path, test_rows) -> dict:
    """The agreement file: shipped vs previous grader on the held-out sets and test splits, then the
    cross-domain folds (chosen vs previous method)."""
    graders = [load_offline_grader(artifact)]
    if agreement_file.BASELINE.exists():
        graders.append(load_offline_grader(agreement_file.BASELINE))
    annomi, authored = by_source(test_rows)
    sets = agreement_file.heldout_sets(data_dir / "heldout")
    sets.update(annomi_test=annomi, authored_test=authored)
    figures = {
        name: {g.name: _compact(agreement_file.grade_agreement(g, rows)) for g in graders}
        for name, rows in sets.items()
        if rows
    }
    for name, methods in report["cross_domain"].items():
        figures[name] = {label: agreement_file.compact(result) for label, result in methods.items()}
    previous = graders[-1].name if len(graders) > 1 else ""
    return agreement_file.payload(graders[0].name, previous, figures)


def _compact(result: Agreement) -> dict:
    return agreement_file.compact(result.model_dump(mode="json"))


def _row_count(path: Path) -> int:
    turns, _ = read_labelled(path, strict=False)
    return len(turns)


def _summary(turns, train_rows, dev_rows, test_rows, information: Label) -> dict:
    def count(rows):
        return {"annomi": sum(map(is_annomi, rows)), "authored": sum(not is_annomi(r) for r in rows)}

    return {
        "rows": count(turns),
        "train": count(train_rows),
        "dev": count(dev_rows),
        "test": count(test_rows),
        "annomi_information_as": information.value,
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m evals.train [--quick]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the search; default settings")
    args = parser.parse_args(argv)
    report = train(quick=args.quick)
    for name, result in report["test"].items():
        print(f"{name}: macro-F1 {result['macro_f1']:.3f}  primary kappa {result['primary_kappa']:.3f}")
    print(f"artifact {report['version']}: {report['artifact_bytes'] / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
