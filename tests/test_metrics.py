"""Agreement metrics: per-label P/R/F1, macro-F1, kappa on primary, confusion matrix, reports."""

import json

import pytest

from evals.metrics import agreement, macro_f1, per_label_scores, primary_confusion, primary_kappa
from evals.report import print_report, render_html, write_json
from simulator.labels import ALL_LABELS, Label

R, V, Q, A = Label.REFLECTION, Label.VALIDATION, Label.OPEN_QUESTION, Label.ADVICE


def test_per_label_scores_count_presence_in_multi_label_sets():
    gold = [[R, Q], [R], [A]]
    made = [[R], [R, A], [A]]
    scores = {s.label: s for s in per_label_scores(gold, made)}
    assert scores[R].precision == 1.0 and scores[R].recall == 1.0 and scores[R].support == 2
    assert scores[Q].recall == 0.0 and scores[Q].support == 1 and scores[Q].predicted == 0
    assert scores[A].precision == 0.5 and scores[A].recall == 1.0
    assert scores[A].f1 == pytest.approx(2 / 3)


def test_macro_f1_averages_only_labels_present_in_gold():
    scores = per_label_scores([[R], [A]], [[R], [R]])
    assert macro_f1(scores) == pytest.approx((2 / 3 + 0.0) / 2)


def test_kappa_is_one_for_perfect_agreement_and_zero_for_chance():
    assert primary_kappa([R, A, Q], [R, A, Q]) == pytest.approx(1.0)
    assert primary_kappa([R, R, A, A], [R, A, R, A]) == pytest.approx(0.0)


def test_confusion_rows_are_gold_and_columns_predicted():
    matrix = primary_confusion([R, R, A], [R, A, A])
    r, a = ALL_LABELS.index(R), ALL_LABELS.index(A)
    assert matrix[r][r] == 1 and matrix[r][a] == 1 and matrix[a][a] == 1
    assert sum(map(sum, matrix)) == 3 and len(matrix) == 9


def test_agreement_refuses_mismatched_lengths():
    with pytest.raises(ValueError):
        agreement([[R]], [R], [[R], [A]], [R, A])


def _example():
    return agreement([[R], [V, R], [A]], [R, V, A], [[R], [R], [A, R]], [R, R, A])


def test_agreement_summarises_primary_accuracy_and_macro_f1():
    result = _example()
    assert result.turns == 3 and result.primary_accuracy == pytest.approx(2 / 3)
    assert 0 < result.macro_f1 < 1 and 0 < result.primary_macro_f1 < 1


def test_reports_render_table_json_and_self_contained_html(tmp_path, capsys):
    result = _example()
    print_report(result, "offline@test")
    shown = capsys.readouterr().out
    assert "reflection" in shown and "kappa" in shown
    write_json(result, "offline@test", tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["grader"] == "offline@test" and len(data["per_label"]) == 9
    page = render_html(result, "<b>x</b>")
    assert "<script" not in page and "http" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert page.count("<tr>") >= 9 + 9
