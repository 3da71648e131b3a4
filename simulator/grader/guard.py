"""Text aimed at the grader (instructions, role-play of the grader, requests for a score) in a learner turn.

Such a turn speaks to the machine, not to the person: the offline grader labels it `other` with the
lowest score, whatever its words would otherwise suggest. The patterns look for the act (an
instruction, a requested label or score, a grader addressed by name), not for the words "grade"
or "score" alone, so a reflection about a bad exam grade is still a reflection.
"""

import re

_MOVE = (
    r"(reflection|validation|open.question|closed.question|empath\w*|active listening|"
    r"exemplary|perfect|excellent|correct|great listen\w*|good listen\w*)"
)
_GRADER = (
    r"(grader|grading (model|system|ai|bot)|evaluator|assessor|classifier|the ai|ai (marking|grading)|"
    r"language model|assistant)"
)
_GRADER_WORDS = (
    "grader",
    "grading",
    "evaluator",
    "assessor",
    "classifier",
    "the ai",
    "ai marking",
    "language model",
    "assistant",
)
# (words at least one of which a match must contain, the pattern): the words let most turns skip the
# regular expression altogether (tests/test_grader_guard.py checks each pattern against its words).
_PATTERNS: list[tuple[tuple[str, ...], str]] = [
    (
        ("ignore", "disregard", "forget", "override"),
        r"\b(ignore|disregard|forget|override)\s+((all|any|the|your|my|previous|prior|earlier|above|these)\s+)*"
        r"(instructions?|rubric|rules|prompts?|above|guidelines)\b",
    ),
    (
        ("system", "developer", "admin", "new instructions"),
        r"\[\[?\s*system\b|\b(system|developer|admin)( prompt)?\s*[:\]]|"
        r"\bsystem prompt\b|\bnew instructions\b",
    ),
    (
        ("score", "rate", "grade", "mark", "label", "classify", "tag"),
        r"\b(score|rate|grade|mark|label|classify|tag)\s+(this|me|it|my|every|all|the following)\b"
        r"(\s+\w+){0,3}\s+(as|an?|with|at|\d|full|high|top|correct|excellent|perfect)\b",
    ),
    (
        ("give", "award"),
        r"\b(give|award)\s+(this|me|it|my \w+)(\s+\w+){0,2}\s+(a\s+)?"
        r"(\d(?!\s*(min|sec|hour|day))|five|full marks|top|highest|the highest|the top|max)",
    ),
    (("give", "award"), r"\b(give|award)\s+(me|this|it|us)\b.{0,25}\b(score|marks?|grade|rating|points)\b"),
    (("/", "out of", "full marks"), r"\b\d\s*/\s*5\b|\b(5|five) out of (5|five)\b|\bfull marks\b"),
    (("you are now",), rf"\byou are now (the|an?) ({_GRADER}|judge|marker|model)\b"),
    (("act as the", "pretend"), r"\bact as the\b|\bpretend (you are|you're|to be) the\b"),
    (("as the", "as your"), r"\bas (the|your) (grader|assessor|evaluator|developer|marker)\b"),
    (_GRADER_WORDS, rf"\b(hey|dear|note to|to)\s+(the\s+)?{_GRADER}\b"),
    (_GRADER_WORDS, rf"\b{_GRADER}\b.{{0,60}}\b(score|rate|grade|mark|label|classify|output|give)\b"),
    (("primary", "label", "score"), r"\b(primary|labels?|score)\s*[:=]\s*\w|\"(primary|score|labels?)\"\s*:"),
    (
        ("classif", "label", "categor", "mark", "grade", "score", "treat"),
        rf"\b(classif\w*|label\w*|categor\w*|mark|grade|score|treat)\b.{{0,40}}\b(an?\s+)?{_MOVE}",
    ),
]
_ADDRESSES_GRADER = re.compile("|".join(f"(?:{pattern})" for _, pattern in _PATTERNS), re.IGNORECASE)
_KEY_WORDS = tuple(sorted({word for words, _ in _PATTERNS for word in words}))
# The four non-ASCII letters that IGNORECASE matches to ASCII ones (see the `re` documentation).
_ASCII_TWINS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def may_address_grader(flat: str) -> bool:
    """False when the text has none of the words every pattern needs (most turns: no search needed)."""
    folded = flat.lower() if flat.isascii() else flat.translate(_ASCII_TWINS).lower()
    return any(word in folded for word in _KEY_WORDS)


def addresses_grader(text: str) -> bool:
    """True when the turn instructs, role-plays or asks a score of the grader instead of listening."""
    flat = " ".join(text.replace("\u2019", "'").split())
    return may_address_grader(flat) and _ADDRESSES_GRADER.search(flat) is not None
