"""The measured agreement file (evals/results/agreement.json) the app and batch report link to.

Written by every training run (`listenlab train-grader`), and again by `python -m evals.agreement`,
which grades the held-out sets with the shipped grader and the previous one. Each test set lists,
per grader, macro-F1, primary accuracy, Cohen's kappa, F1 per label family and per label.
"""

import json
from collections.abc import Sequence
from pathlib import Path

from evals.metrics import Agreement, agreement
from evals.records import DATA_DIR, LabelledTurn, read_labelled
from simulator.grader.base import GradeRequest

RESULTS = Path(__file__).parent / "results" / "agreement.json"
HELDOUT_DIR = DATA_DIR / "heldout"
BASELINE = Path(__file__).parent / "baseline" / "offline_grader_1.56d6217e.npz"
HEADLINE = "heldout_elsewhere"
ORDER = (HEADLINE, "settings_cross_domain", "authored_to_annomi_test", "annomi_test", "authored_test")
SCHEMA = 1
DESCRIPTIONS = {
    "heldout_elsewhere": "listener turns written for the cross-domain test (peer-support chat, forum, "
    "workplace, family; slang, typos, terse echoes, grader-addressed text); never trained or tuned on",
    "settings_cross_domain": "fit on AnnoMI + authored counselling and workplace rows, scored on the "
    "authored test rows from peer support, forum, friends, partners and family",
    "authored_to_annomi_test": "fit on authored rows only, scored on AnnoMI's held-out transcripts",
    "annomi_test": "AnnoMI held-out transcripts (in-domain test split)",
    "authored_test": "authored rows, held-out test split (in-domain)",
}


def heldout_sets(folder: Path = HELDOUT_DIR) -> dict[str, list[LabelledTurn]]:
    """Every evals/data/heldout/*.jsonl, by name (`heldout_<stem>`)."""
    return {f"heldout_{path.stem}": read_labelled(path)[0] for path in sorted(Path(folder).glob("*.jsonl"))}


def grade_agreement(grader, turns: Sequence[LabelledTurn]) -> Agreement:
    """A grader's agreement with the gold labels of `turns`."""
    grades = grader.grade_many([GradeRequest(context=t.context, text=t.text) for t in turns])
    return agreement(
        [t.labels for t in turns],
        [t.primary for t in turns],
        [g.labels for g in grades],
        [g.primary for g in grades],
    )


def compact(result: dict) -> dict:
    """The fields a reader needs from one Agreement (as JSON)."""
    return {
        "turns": result["turns"],
        "macro_f1": round(result["macro_f1"], 4),
        "primary_accuracy": round(result["primary_accuracy"], 4),
        "primary_kappa": round(result["primary_kappa"], 4),
        "family_f1": {name: round(f1, 4) for name, f1 in result.get("family_f1", {}).items()},
        "label_f1": {s["label"]: round(s["f1"], 4) for s in result["per_label"] if s["support"]},
        "label_support": {s["label"]: s["support"] for s in result["per_label"] if s["support"]},
    }


def payload(shipped: str, previous: str, sets: dict[str, dict[str, dict]]) -> dict:
    """The whole file: which grader ships, which one it replaced, and every set's figures."""
    return {
        "schema": SCHEMA,
        "shipped": shipped,
        "previous": previous,
        "headline": HEADLINE,
        "sets": {
            name: {"description": DESCRIPTIONS.get(name, ""), "graders": graders}
            for name, graders in sets.items()
        },
    }


def write(result: dict, path: Path = RESULTS) -> None:
    """Write the agreement file (indented JSON)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def markdown_table(result: dict) -> list[str]:
    """One row per test set and grader: macro-F1, family F1s, kappa (headline and cross-domain first)."""
    lines = [
        "| test set | grader | turns | macro-F1 | listening | neutral | roadblock | kappa |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = sorted(result["sets"], key=_rank)
    for name in names:
        for grader, figures in result["sets"][name]["graders"].items():
            family = figures["family_f1"]
            cells = " | ".join(f"{family[f]:.3f}" if f in family else "–" for f in FAMILY_ORDER)
            lines.append(
                f"| {name} | {grader} | {figures['turns']} | {figures['macro_f1']:.3f} | {cells} | "
                f"{figures['primary_kappa']:.3f} |"
            )
    return lines


FAMILY_ORDER = ("listening", "neutral", "roadblock")


def _rank(name: str) -> tuple[int, str]:
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


def main() -> None:
    """Re-grade the held-out sets with the shipped and previous graders; keep the other sets' figures."""
    from simulator.grader.offline import load_offline_grader

    old = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {"sets": {}}
    graders = [load_offline_grader(), load_offline_grader(BASELINE)]
    sets = {name: entry["graders"] for name, entry in old["sets"].items()}
    for name, turns in heldout_sets().items():
        sets[name] = {g.name: compact(grade_agreement(g, turns).model_dump(mode="json")) for g in graders}
    write(payload(graders[0].name, graders[1].name, sets))


if __name__ == "__main__":
    main()
