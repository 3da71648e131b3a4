"""Turn -> sparse TF-IDF features (word and character n-grams, sentence position, context overlap).

Pure Python and numpy, shared by training (evals/train.py) and the shipped offline grader, so the
features a model was trained on are exactly the features it sees at run time.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[?!]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_STOPWORDS = frozenset(
    "i me my you your it its is am are was were be been the a an and or but to of in on at for "
    "that this so just really like do did does have has had not no yes yeah what how".split()
)


@dataclass(frozen=True)
class FeatureConfig:
    """Which feature families to extract; stored in the artifact next to the weights."""

    char_min: int = 2
    char_max: int = 5
    word_trigrams: bool = True
    positions: bool = True
    context: bool = True

    def to_dict(self) -> dict[str, int | bool]:
        return dict(self.__dict__)


def normalise(text: str) -> str:
    """Lower case, straight quotes, single spaces."""
    return " ".join(text.translate(_QUOTES).lower().split())


def sentences_of(text: str) -> list[list[str]]:
    """Word tokens (with ? and !) per sentence of a normalised text."""
    found = (_WORD.findall(part) for part in _SENTENCE_END.split(text))
    return [words for words in found if words]


def turn_features(context: str, text: str, config: FeatureConfig) -> list[str]:
    """All feature strings of one listener turn (repeats count as term frequency)."""
    sentences = sentences_of(normalise(text))
    words = [word for sentence in sentences for word in sentence]
    features: list[str] = []
    for sentence in sentences:
        features.extend(_word_ngrams(sentence, "w:", config.word_trigrams))
    features.extend(_char_ngrams(words, config.char_min, config.char_max))
    if config.positions:
        features.extend(_position_features(sentences))
    if config.context:
        features.extend(_context_features(context, words))
    return features


def _word_ngrams(words: list[str], prefix: str, trigrams: bool) -> list[str]:
    padded = ["<s>", *words, "</s>"]
    grams = [prefix + word for word in words]
    grams += [f"{prefix}{a} {b}" for a, b in zip(padded, padded[1:])]
    if trigrams:
        grams += [f"{prefix}{a} {b} {c}" for a, b, c in zip(padded, padded[1:], padded[2:])]
    return grams


def _char_ngrams(words: list[str], smallest: int, largest: int) -> list[str]:
    grams: list[str] = []
    for word in words:
        padded = f" {word} "
        length = len(padded)
        for size in range(smallest, min(largest, length) + 1):
            grams.extend(padded[start : start + size] for start in range(length - size + 1))
    return grams


def _position_features(sentences: list[list[str]]) -> list[str]:
    count = len(sentences)
    shape = [f"#sentences={min(count, 4)}", f"#words={_length_bucket(sum(map(len, sentences)))}"]
    if count < 2:
        return shape + ["#single"]
    last = _word_ngrams(sentences[-1], "L:", False)
    first = _word_ngrams(sentences[0], "F:", False)
    return shape + last + first


def _length_bucket(count: int) -> int:
    for limit in (1, 3, 6, 12, 25):
        if count <= limit:
            return limit
    return 99


def _context_features(context: str, words: list[str]) -> list[str]:
    context_words = {word for sentence in sentences_of(normalise(context)) for word in sentence}
    if not context_words:
        return ["#no_context"]
    content = [word for word in words if word not in _STOPWORDS and len(word) > 2]
    shared = sum(1 for word in content if word in context_words)
    share = shared / len(content) if content else 0.0
    features = [f"#overlap={min(int(share * 4), 3)}"]
    if "?" in context_words:
        features.append("#context_asks")
    return features


def vectorise(
    documents: Sequence[list[str]], vocabulary: dict[str, int], idf: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR parts (indptr, indices, values): sublinear tf * idf, each row L2-normalised."""
    indptr = [0]
    indices: list[int] = []
    counts: list[int] = []
    for features in documents:
        row: dict[int, int] = {}
        for feature in features:
            column = vocabulary.get(feature)
            if column is not None:
                row[column] = row.get(column, 0) + 1
        indices.extend(row)
        counts.extend(row.values())
        indptr.append(len(indices))
    return _weighted(np.asarray(indptr), np.asarray(indices, dtype=np.int64), np.asarray(counts), idf)


def _weighted(indptr: np.ndarray, indices: np.ndarray, counts: np.ndarray, idf: np.ndarray):
    values = (1.0 + np.log(counts.astype(np.float64))) * idf[indices]
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(indptr) - 1))
    values = values / np.maximum(norms[rows], 1e-12)
    return indptr, indices, values.astype(np.float32)


def smooth_idf(document_frequency: np.ndarray, documents: int) -> np.ndarray:
    """scikit-learn's smoothed idf: ln((1 + n) / (1 + df)) + 1."""
    return np.log((1.0 + documents) / (1.0 + document_frequency)) + 1.0
