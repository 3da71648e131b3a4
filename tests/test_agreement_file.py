"""The agreement file: compact figures per set and grader, headline first in the markdown table."""

from evals.agreement import compact, grade_agreement, markdown_table, payload
from evals.metrics import agreement
from evals.records import LabelledTurn
from simulator.grader.offline import load_offline_grader
from simulator.labels import Label

R, V, A, OTHER = Label.REFLECTION, Label.VALIDATION, Label.ADVICE, Label.OTHER


def _result(made):
    gold = [[R], [V], [A], [OTHER]]
    return agreement(gold, [g[0] for g in gold], made, [m[0] for m in made]).model_dump(mode="json")


def test_compact_keeps_family_and_label_f1_of_labels_in_gold():
    figures = compact(_result([[R], [R], [A], [OTHER]]))
    assert set(figures["label_f1"]) == {"reflection", "validation", "advice", "other"}
    assert figures["label_f1"]["validation"] == 0.0 and figures["label_f1"]["advice"] == 1.0
    assert figures["family_f1"]["roadblock"] == 1.0
    assert 0 < figures["family_f1"]["listening"] < 1


def test_markdown_table_lists_the_headline_set_first():
    good, bad = (
        compact(_result([[R], [V], [A], [OTHER]])),
        compact(_result([[OTHER], [OTHER], [OTHER], [OTHER]])),
    )
    result = payload(
        "new", "old", {"annomi_test": {"new": bad}, "heldout_elsewhere": {"new": good, "old": bad}}
    )
    rows = markdown_table(result)[2:]
    assert rows[0].startswith("| heldout_elsewhere | new | 4 | 1.000")
    assert rows[1].startswith("| heldout_elsewhere | old") and rows[2].startswith("| annomi_test")


def test_grade_agreement_scores_a_grader_against_gold():
    turns = [
        LabelledTurn(id="t1", context="I can't sleep.", text="Okay.", labels=[OTHER], primary=OTHER),
        LabelledTurn(
            id="t2", context="I can't sleep.", text="You should try melatonin.", labels=[A], primary=A
        ),
    ]
    result = grade_agreement(load_offline_grader(), turns)
    assert result.turns == 2 and result.primary_accuracy == 1.0
