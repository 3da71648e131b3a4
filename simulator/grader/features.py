"""Turn -> sparse TF-IDF features (word and character n-grams, sentence position, context, cues).

Pure Python and numpy, shared by training (evals/train.py) and the shipped offline grader, so the
features a model was trained on are exactly the features it sees at run time.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np

from simulator.grader.cues import cue_features

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
    shape: bool = True
    context: bool = True
    char_weight: float = 1.0  # the character block's norm; the word-level block's norm is 1
    cues: bool = False  # simulator/grader/cues.py (off in artifacts made before it existed)

    def to_dict(self) -> dict[str, int | bool | float]:
        return dict(self.__dict__)


def normalise(text: str) -> str:
    """Lower case, straight quotes, single spaces."""
    return " ".join(text.translate(_QUOTES).lower().split())


def sentences_of(text: str) -> list[list[str]]:
    """Word tokens (with ? and !) per sentence of a normalised text."""
    found = (_WORD.findall(part) for part in _SENTENCE_END.split(text))
    return [words for words in found if words]


def turn_parts(context: str, text: str, config: FeatureConfig) -> tuple[list[str], list[str]]:
    """(words, word-level features) of one turn; character n-grams are derived from the words."""
    normalised = normalise(text)
    sentences = sentences_of(normalised)
    words = [word for sentence in sentences for word in sentence]
    features: list[str] = []
    for sentence in sentences:
        features.extend(_word_ngrams(sentence, "w:", config.word_trigrams))
    if config.positions:
        features.extend(_position_features(sentences))
    if config.shape:
        features.extend(_shape_features(sentences))
    if config.context:
        features.extend(_context_features(context, words))
    if config.cues:
        features.extend(cue_features(text, sentences, normalised))
    return words, features


def turn_features(context: str, text: str, config: FeatureConfig) -> list[str]:
    """All feature strings of one listener turn (repeats count as term frequency)."""
    words, features = turn_parts(context, text, config)
    return features + _char_ngrams(words, config.char_min, config.char_max)


def _word_ngrams(words: list[str], prefix: str, trigrams: bool) -> list[str]:
    padded = ["<s>", *words, "</s>"]
    grams = [prefix + word for word in words]
    grams += [f"{prefix}{a} {b}" for a, b in zip(padded, padded[1:], strict=False)]
    if trigrams:
        grams += [f"{prefix}{a} {b} {c}" for a, b, c in zip(padded, padded[1:], padded[2:], strict=False)]
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
    """Word n-grams of the first and last sentence of a multi-sentence turn, marked as such."""
    if len(sentences) < 2:
        return []
    return _word_ngrams(sentences[-1], "L:", False) + _word_ngrams(sentences[0], "F:", False)


def _shape_features(sentences: list[list[str]]) -> list[str]:
    """How many sentences and words the turn has (bucketed)."""
    return [f"#sentences={min(len(sentences), 4)}", f"#words={_length_bucket(sum(map(len, sentences)))}"]


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


def is_char_gram(feature: str) -> bool:
    """Character n-grams never contain ':' or start with '#'; word-level features always do."""
    return ":" not in feature and not feature.startswith("#")


class Vectoriser:
    """Turns -> CSR parts (indptr, indices, values): sublinear tf * idf.

    The word-level block and the character block are L2-normalised separately (the character
    block then scaled by config.char_weight), so a few telling words are not drowned by the
    hundreds of character n-grams of a turn. Character n-gram columns are cached per word.
    """

    def __init__(
        self, vocabulary: dict[str, int], idf: np.ndarray, config: FeatureConfig, cache_size: int = 200_000
    ):
        self.vocabulary = vocabulary
        self.idf = idf
        self.config = config
        self.cache_size = cache_size
        self._word_columns: dict[str, list[int]] = {}
        self._block = np.zeros(len(vocabulary), dtype=np.int64)
        self._block[[column for term, column in vocabulary.items() if is_char_gram(term)]] = 1
        self._block_weight = np.array([1.0, config.char_weight])

    def transform(self, turns: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR parts for (context, text) pairs."""
        columns: list[int] = []  # -1 marks a feature outside the vocabulary
        lengths: list[int] = []
        lookup, columns_of, missing = self.vocabulary.get, self._columns_of, repeat(-1)
        cached = self._word_columns
        for context, text in turns:
            before = len(columns)
            words, features = turn_parts(context, text, self.config)
            columns.extend(chain.from_iterable([cached.get(word) or columns_of(word) for word in words]))
            columns.extend(map(lookup, features, missing))
            lengths.append(len(columns) - before)
        return self._counted(np.asarray(columns, dtype=np.int64), np.asarray(lengths, dtype=np.int64))

    def _columns_of(self, word: str) -> list[int]:
        found = self._word_columns.get(word)
        if found is None:
            if len(self._word_columns) >= self.cache_size:
                self._word_columns.clear()
            grams = _char_ngrams([word], self.config.char_min, self.config.char_max)
            found = [column for column in map(self.vocabulary.get, grams) if column is not None]
            self._word_columns[word] = found
        return found

    def _counted(self, columns: np.ndarray, lengths: np.ndarray):
        width = max(len(self.vocabulary), 1)
        rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        known = columns >= 0
        keys, counts = np.unique(rows[known] * width + columns[known], return_counts=True)
        per_row = np.bincount(keys // width, minlength=len(lengths))
        indptr = np.concatenate([[0], np.cumsum(per_row)])
        return self._weighted(indptr, keys % width, counts)

    def _weighted(self, indptr: np.ndarray, indices: np.ndarray, counts: np.ndarray):
        values = (1.0 + np.log(counts.astype(np.float64))) * self.idf[indices]
        block = self._block[indices]
        cells = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr)) * 2 + block
        norms = np.sqrt(np.bincount(cells, weights=values * values, minlength=2 * (len(indptr) - 1)))
        values = values * self._block_weight[block] / np.maximum(norms[cells], 1e-12)
        return indptr, indices, values.astype(np.float32)


def smooth_idf(document_frequency: np.ndarray, documents: int) -> np.ndarray:
    """scikit-learn's smoothed idf: ln((1 + n) / (1 + df)) + 1."""
    return np.log((1.0 + documents) / (1.0 + document_frequency)) + 1.0
