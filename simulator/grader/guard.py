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
_PATTERNS = [
    r"\b(ignore|disregard|forget|override)\s+((all|any|the|your|my|previous|prior|earlier|above|these)\s+)*"
    r"(instructions?|rubric|rules|prompts?|above|guidelines)\b",
    r"\[\[?\s*system\b|\b(system|developer|admin)( prompt)?\s*[:\]]|\bsystem prompt\b|\bnew instructions\b",
    r"\b(score|rate|grade|mark|label|classify|tag)\s+(this|me|it|my|every|all|the following)\b"
    r"(\s+\w+){0,3}\s+(as|an?|with|at|\d|full|high|top|correct|excellent|perfect)\b",
    r"\b(give|award)\s+(this|me|it|my \w+)(\s+\w+){0,2}\s+(a\s+)?"
    r"(\d(?!\s*(min|sec|hour|day))|five|full marks|top|highest|the highest|the top|max)",
    r"\b(give|award)\s+(me|this|it|us)\b.{0,25}\b(score|marks?|grade|rating|points)\b",
    r"\b\d\s*/\s*5\b|\b(5|five) out of (5|five)\b|\bfull marks\b",
    rf"\byou are now (the|an?) ({_GRADER}|judge|marker|model)\b",
    r"\bact as the\b|\bpretend (you are|you're|to be) the\b",
    r"\bas (the|your) (grader|assessor|evaluator|developer|marker)\b",
    rf"\b(hey|dear|note to|to)\s+(the\s+)?{_GRADER}\b",
    rf"\b{_GRADER}\b.{{0,60}}\b(score|rate|grade|mark|label|classify|output|give)\b",
    r"\b(primary|labels?|score)\s*[:=]\s*\w|\"(primary|score|labels?)\"\s*:",
    rf"\b(classif\w*|label\w*|categor\w*|mark|grade|score|treat)\b.{{0,40}}\b(an?\s+)?{_MOVE}",
]
_ADDRESSES_GRADER = re.compile("|".join(f"(?:{pattern})" for pattern in _PATTERNS), re.IGNORECASE)


def addresses_grader(text: str) -> bool:
    """True when the turn instructs, role-plays or asks a score of the grader instead of listening."""
    flat = " ".join(text.replace("\u2019", "'").split())
    return _ADDRESSES_GRADER.search(flat) is not None
