"""Pure rubric: labels + primary -> score (1-5), a plain-word rationale and a short hint."""

from simulator.labels import LISTENING, PLAIN_WORDS, ROADBLOCKS, SHORT_NAMES, Label

BASE_SCORE: dict[Label, float] = {
    Label.REFLECTION: 4.5,
    Label.VALIDATION: 4.0,
    Label.OPEN_QUESTION: 4.0,
    Label.CLOSED_QUESTION: 3.0,
    Label.OTHER: 3.0,
    Label.ADVICE: 2.0,
    Label.REASSURANCE: 2.0,
    Label.JUDGMENT: 1.0,
    Label.SELF_FOCUS: 1.5,
}

HINTS: dict[Label, str] = {
    Label.ADVICE: 'Before offering a fix, reflect what you heard: "It sounds like ..."',
    Label.REASSURANCE: 'Stay with the feeling instead of shrinking it: "That sounds really hard."',
    Label.JUDGMENT: 'Set the verdict aside and get curious: "What happened that made it go that way?"',
    Label.SELF_FOCUS: 'Bring it back to them: "What was that like for you?"',
    Label.CLOSED_QUESTION: 'Try an open question: "What\'s that been like for you?"',
    Label.OTHER: "Add a reflection of what they just said, in your own words.",
}


def score_turn(labels: list[Label], primary: Label) -> float:
    """1-5: listening moves score high, neutral 3, roadblocks low; mixes adjust by half points."""
    moves = set(labels) | {primary}
    score = BASE_SCORE[primary]
    listening = moves & LISTENING
    roadblocks = moves & ROADBLOCKS
    if primary in LISTENING and len(listening) >= 2:
        score += 0.5
    if primary in ROADBLOCKS and listening:
        score += 0.5
    if primary not in ROADBLOCKS and roadblocks:
        score -= 1.0
    return min(5.0, max(1.0, score))


def rationale_for(labels: list[Label], primary: Label) -> str:
    """A sentence or two in plain words: what the main move was and what else was in the turn."""
    parts = [PLAIN_WORDS[primary] + "."]
    others = [label for label in labels if label != primary]
    if others:
        names = ", ".join(SHORT_NAMES[label] for label in others)
        parts.append(f"The turn also contained: {names}.")
    if primary in LISTENING and set(others) & ROADBLOCKS:
        parts.append("The roadblock in the same turn weakens the listening move.")
    elif primary in ROADBLOCKS and set(others) & LISTENING:
        parts.append("It started as listening, but the roadblock is what the speaker will remember.")
    return " ".join(parts)


def hint_for(labels: list[Label], primary: Label) -> str | None:
    """A short hint for a better reply, or None when the turn was already good listening."""
    if primary in HINTS:
        return HINTS[primary]
    roadblocks = [label for label in labels if label in ROADBLOCKS]
    return HINTS[roadblocks[0]] if roadblocks else None
