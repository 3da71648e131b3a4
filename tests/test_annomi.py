"""AnnoMI conversion: label mapping, context, ids by transcript, and splits by transcript."""

import pandas as pd
import pytest

from evals.annomi import (
    SOURCE_DIR,
    Codes,
    convert,
    load_frames,
    primary_label,
    secondary_labels,
    transcript_of,
)
from evals.records import LabelledTurn
from evals.split import group_key, select, split_of
from simulator.labels import Label

needs_annomi = pytest.mark.skipif(
    not (SOURCE_DIR / "AnnoMI-simple.csv").exists(),
    reason="the shared AnnoMI copy is not beside the checkout",
)


def test_main_behaviours_map_to_our_labels():
    none = Codes(False, None, None)
    assert primary_label("reflection", none) == Label.REFLECTION
    assert primary_label("question", Codes(False, "open", None)) == Label.OPEN_QUESTION
    assert primary_label("question", Codes(False, "closed", None)) == Label.CLOSED_QUESTION
    assert primary_label("therapist_input", Codes(False, None, "information")) == Label.ADVICE
    assert primary_label("other", none) == Label.OTHER


def test_secondary_moves_come_from_the_codes_present():
    codes = Codes(reflection=True, question="closed", input_subtype="options")
    assert secondary_labels(codes) == [Label.REFLECTION, Label.CLOSED_QUESTION, Label.ADVICE]


@pytest.fixture(scope="module")
def converted() -> list[LabelledTurn]:
    return convert(*load_frames())


@needs_annomi
def test_every_therapist_turn_is_converted_with_the_published_counts(converted):
    assert len(converted) == 4882
    primaries = pd.Series([t.primary.value for t in converted]).value_counts().to_dict()
    assert primaries["reflection"] == 1296 and primaries["other"] == 1586 and primaries["advice"] == 614
    assert primaries["open_question"] + primaries["closed_question"] == 1386
    assert all(t.primary in t.labels for t in converted)


@needs_annomi
def test_context_is_the_clients_latest_utterance(converted):
    first, second = converted[0], converted[1]
    assert first.id == "annomi-t000-u0000" and first.context == ""
    assert second.id == "annomi-t000-u0002" and second.context == "Sure."


@needs_annomi
def test_splits_never_cut_a_transcript(converted):
    by_transcript: dict[str, set[str]] = {}
    for turn in converted:
        by_transcript.setdefault(transcript_of(turn.id), set()).add(split_of(turn))
    assert all(len(splits) == 1 for splits in by_transcript.values())
    test_share = len(select(converted, "test")) / len(converted)
    assert 0.1 < test_share < 0.35


def test_authored_rows_split_by_their_speaker_turn():
    a = LabelledTurn(id="a-1", context="I failed the exam.", text="Ouch.", labels=["other"], primary="other")
    b = LabelledTurn(
        id="b-9",
        context="I  failed the EXAM.",
        text="Have you tried studying?",
        labels=["advice"],
        primary="advice",
    )
    assert group_key(a) == group_key(b) and split_of(a) == split_of(b)
