"""The nine-label vocabulary of listening moves, their families and plain-word names."""

from enum import StrEnum


class Label(StrEnum):
    """A kind of listener move (the contract in DESIGN.md)."""

    REFLECTION = "reflection"
    VALIDATION = "validation"
    OPEN_QUESTION = "open_question"
    CLOSED_QUESTION = "closed_question"
    OTHER = "other"
    ADVICE = "advice"
    REASSURANCE = "reassurance"
    JUDGMENT = "judgment"
    SELF_FOCUS = "self_focus"


LISTENING = frozenset({Label.REFLECTION, Label.VALIDATION, Label.OPEN_QUESTION})
NEUTRAL = frozenset({Label.CLOSED_QUESTION, Label.OTHER})
ROADBLOCKS = frozenset({Label.ADVICE, Label.REASSURANCE, Label.JUDGMENT, Label.SELF_FOCUS})
ALL_LABELS: tuple[Label, ...] = tuple(Label)

PLAIN_WORDS: dict[Label, str] = {
    Label.REFLECTION: "Reflection: you put what they said or felt into your own words",
    Label.VALIDATION: "Validation: you accepted their feeling as real and understandable",
    Label.OPEN_QUESTION: "Open question: you invited them to say more",
    Label.CLOSED_QUESTION: "Closed question: a yes/no or narrow fact-finding question",
    Label.OTHER: "Other: greeting, filler or logistics",
    Label.ADVICE: "Fixing: you offered a solution or instruction",
    Label.REASSURANCE: "Reassurance: you minimised or comforted too early",
    Label.JUDGMENT: "Judgment: you criticised, blamed or argued",
    Label.SELF_FOCUS: "Self-focus: you turned to your own story or changed the topic",
}

SHORT_NAMES: dict[Label, str] = {
    Label.REFLECTION: "reflection",
    Label.VALIDATION: "validation",
    Label.OPEN_QUESTION: "open question",
    Label.CLOSED_QUESTION: "closed question",
    Label.OTHER: "other",
    Label.ADVICE: "advice (fixing)",
    Label.REASSURANCE: "reassurance",
    Label.JUDGMENT: "judgment",
    Label.SELF_FOCUS: "self-focus",
}


def family(label: Label) -> str:
    """Return 'listening', 'neutral' or 'roadblock' for a label."""
    if label in LISTENING:
        return "listening"
    if label in ROADBLOCKS:
        return "roadblock"
    return "neutral"
