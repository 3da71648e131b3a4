"""Pure functions from counts and transcript metrics to the rows the report shows."""

from collections import Counter
from collections.abc import Sequence

from simulator.labels import PLAIN_WORDS, ROADBLOCKS, SHORT_NAMES, Label, family
from simulator.scoring import RQ_FAIR, RQ_GOOD, SessionMetrics, ratio, rq_band

ATTENTION_ROWS = 15
BAND_PENALTY = {"below": 0.5, "fair": 0.25, "n/a": 0.25, "good": 0.0}
RQ_EDGES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
BANDS = ("good", "fair", "below", "n/a")


def label_rows(primary: Counter, present: Counter, graded: int) -> list[dict]:
    """Per label: primary count and share (sums to 100%), and the share of turns where it is present."""
    return [
        {
            "label": label.value,
            "name": SHORT_NAMES[label],
            "family": family(label),
            "primary": primary[label],
            "primary_share": ratio(primary[label], graded),
            "present_share": ratio(present[label], graded),
        }
        for label in Label
    ]


def habit_rows(present: Counter, graded: int, hints: dict) -> list[dict]:
    """Roadblocks, most frequent first: what they are, how often, and what to try instead."""
    rows = [
        {
            "label": label.value,
            "plain": PLAIN_WORDS[label],
            "share": ratio(present[label], graded),
            "count": present[label],
            "hint": hints.get(label, ""),
        }
        for label in Label
        if label in ROADBLOCKS and present[label]
    ]
    return sorted(rows, key=lambda row: (-row["count"], row["label"]))


def overall_rq(metrics: Sequence[SessionMetrics]) -> dict:
    """Reflections, questions, their ratio and MITI band over all transcripts."""
    reflections = sum(m.reflections for m in metrics)
    questions = sum(m.questions for m in metrics)
    return {
        "reflections": reflections,
        "questions": questions,
        "ratio": ratio(reflections, questions),
        "band": rq_band(reflections, questions),
        "good": RQ_GOOD,
        "fair": RQ_FAIR,
    }


def band_counts(metrics: Sequence[SessionMetrics]) -> list[dict]:
    """How many transcripts fall in each MITI band, with their share."""
    counts = Counter(m.rq_band for m in metrics)
    return [
        {"band": band, "count": counts[band], "share": ratio(counts[band], len(metrics))} for band in BANDS
    ]


def with_heights(bins: list[dict]) -> list[dict]:
    """Add each bin's height relative to the tallest (for the column charts)."""
    tallest = max((b["count"] for b in bins), default=0)
    return [{**b, "height": ratio(b["count"], tallest) or 0.0} for b in bins]


def bin_label(low: float, high: float | None) -> str:
    return f"{low:g}+" if high is None else f"{low:g}–{high:g}"


def rq_histogram(metrics: Sequence[SessionMetrics]) -> list[dict]:
    """Transcripts per R:Q bin (transcripts without questions are left out), each bin's band noted."""
    values = [m.reflection_to_question for m in metrics if m.reflection_to_question is not None]
    bins = []
    for position, low in enumerate(RQ_EDGES):
        high = RQ_EDGES[position + 1] if position + 1 < len(RQ_EDGES) else None
        count = sum(1 for v in values if v >= low and (high is None or v < high))
        band = "good" if low >= RQ_GOOD else "fair" if low >= RQ_FAIR else "below"
        bins.append(
            {"label": bin_label(low, high), "count": count, "band": band, "share": ratio(count, len(values))}
        )
    return with_heights(bins)


def score_histogram(scores: Sequence[float]) -> list[dict]:
    """Turns per score, in half-point bins from 1 to 5."""
    counts = Counter(round(score * 2) / 2 for score in scores)
    steps = [1 + step / 2 for step in range(9)]
    return with_heights(
        [{"score": f"{s:g}", "count": counts[s], "share": ratio(counts[s], len(scores))} for s in steps]
    )


def attention(metrics: SessionMetrics) -> float:
    """Higher = needs more attention: low mean score, many roadblocks, R:Q below the MITI bands."""
    low_score = (5 - metrics.mean_score) / 4 if metrics.mean_score is not None else 0.5
    return low_score + (metrics.roadblock_rate or 0.0) + BAND_PENALTY[metrics.rq_band]


def top_roadblock(metrics: SessionMetrics) -> str:
    counts = {label: metrics.label_counts.get(label.value, 0) for label in Label if label in ROADBLOCKS}
    label, count = max(sorted(counts.items()), key=lambda item: item[1])
    return f"{SHORT_NAMES[label]} ({count})" if count else "–"


def attention_rows(rows: Sequence, limit: int = ATTENTION_ROWS) -> list[dict]:
    """The transcripts most in need of attention, worst first (ties by id)."""
    graded = [row for row in rows if row.metrics.graded_turns]
    ranked = sorted(graded, key=lambda row: (-round(attention(row.metrics), 9), row.transcript_id))
    return [
        {
            "id": row.transcript_id,
            "listener": row.listener,
            "metrics": row.metrics,
            "attention": attention(row.metrics),
            "roadblock": top_roadblock(row.metrics),
        }
        for row in ranked[:limit]
    ]
