"""Deterministic train/dev/test splits: AnnoMI by transcript, authored rows by a hash.

The test split is held out: training and tuning (thresholds, method choice) use train and dev
only; test is read once per method, for the table in evals/README.md.
AnnoMI is split by transcript (never by utterance), so turns of one conversation stay together.
Authored rows are split by a hash of their group (several replies written for one speaker turn
share a group), else of their speaker turn (the context), else of their id: replies to the same
speaker turn never straddle train and test.
"""

import hashlib
from collections.abc import Iterable
from typing import Literal

from evals.annomi import transcript_of
from evals.records import LabelledTurn

Split = Literal["train", "dev", "test"]
TEST_PERCENT = 20
DEV_PERCENT = 15


def group_key(turn: LabelledTurn) -> str:
    """What keeps related rows on one side of the split."""
    if turn.id.startswith("annomi-"):
        return transcript_of(turn.id)
    if turn.group:
        return f"group:{turn.group}"
    context = " ".join(turn.context.lower().split())
    return f"context:{context}" if context else f"id:{turn.id}"


def bucket(key: str) -> int:
    """A stable number 0-99 from a key (sha256, independent of Python's hash seed)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 100


def split_of(turn: LabelledTurn) -> Split:
    """Which split a row belongs to."""
    number = bucket(group_key(turn))
    if number < TEST_PERCENT:
        return "test"
    if number < TEST_PERCENT + DEV_PERCENT:
        return "dev"
    return "train"


def select(turns: Iterable[LabelledTurn], *splits: Split) -> list[LabelledTurn]:
    """The rows that fall in any of the given splits, in their original order."""
    wanted = set(splits)
    return [turn for turn in turns if split_of(turn) in wanted]


def is_annomi(turn: LabelledTurn) -> bool:
    """True for rows converted from AnnoMI."""
    return turn.id.startswith("annomi-")
