"""Convert AnnoMI's expert-coded therapist turns to the project's labelled-turn JSONL format.

Run `python -m evals.annomi` to (re)write evals/data/annomi.jsonl from ../shared/data/annomi.
The primary label comes from AnnoMI-simple.csv (main_therapist_behaviour); the question and
input subtypes and the extra moves present come from AnnoMI-full.csv (majority of annotators).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evals.records import DATA_DIR, LabelledTurn, write_labelled
from simulator.labels import Label

SOURCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "annomi"
OUTPUT = DATA_DIR / "annomi.jsonl"

ADVICE_SUBTYPES = frozenset({"advice", "options", "negotiation", "information"})


@dataclass(frozen=True)
class Codes:
    """What the annotators marked present in one therapist utterance (majority vote)."""

    reflection: bool
    question: str | None  # "open", "closed" or None
    input_subtype: str | None  # "information", "advice", "options", "negotiation" or None


def load_frames(source_dir: Path = SOURCE_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The simple and the full AnnoMI tables."""
    simple = pd.read_csv(source_dir / "AnnoMI-simple.csv")
    full = pd.read_csv(source_dir / "AnnoMI-full.csv")
    return simple, full


def majority_codes(full: pd.DataFrame) -> dict[tuple[int, int], Codes]:
    """Per (transcript, utterance): the codes most annotators gave."""
    rows = full[full["interlocutor"] == "therapist"].copy()
    keys = ["transcript_id", "utterance_id"]
    for column in ("reflection_exists", "question_exists", "therapist_input_exists"):
        rows[column] = rows[column].astype(str) == "True"
    shares = rows.groupby(keys)[["reflection_exists", "question_exists", "therapist_input_exists"]].mean()
    questions = _majority_subtypes(rows, "question_exists", "question_subtype")
    inputs = _majority_subtypes(rows, "therapist_input_exists", "therapist_input_subtype")
    codes: dict[tuple[int, int], Codes] = {}
    for key, share in shares.iterrows():
        index = (int(key[0]), int(key[1]))
        codes[index] = Codes(
            reflection=share["reflection_exists"] > 0.5,
            question=questions.get(index) if share["question_exists"] > 0.5 else None,
            input_subtype=inputs.get(index) if share["therapist_input_exists"] > 0.5 else None,
        )
    return codes


def _majority_subtypes(rows: pd.DataFrame, exists: str, subtype: str) -> dict[tuple[int, int], str]:
    """The subtype most often given by the annotators who marked the move present (ties: by name)."""
    marked = rows[rows[exists]]
    counts = marked.groupby(["transcript_id", "utterance_id", subtype]).size().reset_index(name="n")
    counts = counts.sort_values(["n", subtype], ascending=[False, True], kind="stable")
    top = counts.drop_duplicates(["transcript_id", "utterance_id"])
    return {
        (int(t), int(u)): str(s)
        for t, u, s in zip(top["transcript_id"], top["utterance_id"], top[subtype], strict=True)
    }


def primary_label(behaviour: str, codes: Codes) -> Label:
    """Map AnnoMI's main behaviour (with its majority subtype) to one label of ours."""
    if behaviour == "reflection":
        return Label.REFLECTION
    if behaviour == "question":
        return Label.CLOSED_QUESTION if codes.question == "closed" else Label.OPEN_QUESTION
    if behaviour == "therapist_input":
        return Label.ADVICE
    return Label.OTHER


def secondary_labels(codes: Codes) -> list[Label]:
    """Moves the annotators marked present besides the main one."""
    found: list[Label] = []
    if codes.reflection:
        found.append(Label.REFLECTION)
    if codes.question:
        found.append(Label.CLOSED_QUESTION if codes.question == "closed" else Label.OPEN_QUESTION)
    if codes.input_subtype in ADVICE_SUBTYPES:
        found.append(Label.ADVICE)
    return found


def original_code(behaviour: str, codes: Codes) -> str:
    """AnnoMI's own code for the turn, kept so a different mapping can be tried later."""
    if behaviour == "question" and codes.question:
        return f"question:{codes.question}"
    if behaviour == "therapist_input" and codes.input_subtype:
        return f"therapist_input:{codes.input_subtype}"
    return behaviour


def convert(simple: pd.DataFrame, full: pd.DataFrame) -> list[LabelledTurn]:
    """Every therapist utterance as a LabelledTurn; context is the client's latest utterance."""
    codes = majority_codes(full)
    turns: list[LabelledTurn] = []
    for transcript_id, rows in simple.groupby("transcript_id", sort=True):
        turns.extend(_convert_transcript(int(transcript_id), rows.sort_values("utterance_id"), codes))
    return turns


def _convert_transcript(
    transcript_id: int, rows: pd.DataFrame, codes: dict[tuple[int, int], Codes]
) -> Iterable[LabelledTurn]:
    context = ""
    for row in rows.itertuples(index=False):
        text = str(row.utterance_text).strip()
        if row.interlocutor == "client":
            context = text
            continue
        utterance = int(row.utterance_id)
        turn_codes = codes.get((transcript_id, utterance), Codes(False, None, None))
        yield _labelled(transcript_id, utterance, context, text, row, turn_codes)


def _labelled(transcript_id: int, utterance: int, context: str, text: str, row, codes: Codes) -> LabelledTurn:
    behaviour = str(row.main_therapist_behaviour)
    primary = primary_label(behaviour, codes)
    labels = [primary, *(label for label in secondary_labels(codes) if not _same_move(label, primary))]
    return LabelledTurn(
        id=annomi_id(transcript_id, utterance),
        context=context,
        text=text,
        labels=labels,
        primary=primary,
        source=f"annomi:{row.mi_quality}",
        code=original_code(behaviour, codes),
    )


def _same_move(label: Label, primary: Label) -> bool:
    questions = {Label.OPEN_QUESTION, Label.CLOSED_QUESTION}
    return label == primary or (label in questions and primary in questions)


def annomi_id(transcript_id: int, utterance_id: int) -> str:
    """Row id carrying the transcript, e.g. 'annomi-t012-u0034' (splits group by transcript)."""
    return f"annomi-t{transcript_id:03d}-u{utterance_id:04d}"


def transcript_of(row_id: str) -> str:
    """The transcript part of an AnnoMI row id ('annomi-t012')."""
    return row_id.rsplit("-", 1)[0]


def main(source_dir: Path = SOURCE_DIR, output: Path = OUTPUT) -> None:
    """Write evals/data/annomi.jsonl and print the label counts."""
    turns = convert(*load_frames(source_dir))
    written = write_labelled(output, turns)
    counts = pd.Series([turn.primary.value for turn in turns]).value_counts()
    print(f"wrote {written} turns to {output}")
    print(counts.to_string())


if __name__ == "__main__":
    main()
