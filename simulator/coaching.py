"""Concrete better replies: the persona's authored exemplar that answers this turn, for offline grades."""

import hashlib
import re
from collections.abc import Collection, Sequence

from simulator.dynamics import layer_for
from simulator.grades import TurnGrade
from simulator.labels import ROADBLOCKS, Label
from simulator.personas import Persona
from simulator.recording import TurnRecord

OFFLINE_PREFIX = "offline"
# The listening kinds that repair each missed move, best first.
REPAIRS: dict[Label, tuple[Label, ...]] = {
    Label.ADVICE: (Label.REFLECTION, Label.VALIDATION),
    Label.REASSURANCE: (Label.VALIDATION, Label.REFLECTION),
    Label.JUDGMENT: (Label.VALIDATION, Label.OPEN_QUESTION),
    Label.SELF_FOCUS: (Label.REFLECTION, Label.OPEN_QUESTION),
    Label.CLOSED_QUESTION: (Label.OPEN_QUESTION,),
    Label.OTHER: (Label.REFLECTION, Label.OPEN_QUESTION),
}
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
STEM_LENGTH = 4
# Words that say nothing about what this person is talking about.
COMMON = frozenset(
    """
    about after again all also and any are back bad been before being bit but can can't could did
    didn't does doesn't don't even ever every everyone feel feeling feels for from get got had has
    have haven't her here him his how i'd i'll i'm i've into it's its just know like lot make me
    more most much must never not now off one only other our out over own really right said say
    says she should since some something sound sounds still such sure than that that's the their
    them then there they thing things think this those though through too very want was wasn't
    way well were what what's when where which while who why will with would you you'd you're
    you've your yeah yes
    """.split()
)


def repair_kinds(grade: TurnGrade) -> tuple[Label, ...]:
    """The listening kinds worth showing after this grade's move; () when it was good listening."""
    if not grade.ok or grade.primary is None:
        return ()
    if grade.primary in REPAIRS:
        return REPAIRS[grade.primary]
    roadblocks = [label for label in grade.labels if label in ROADBLOCKS]
    return REPAIRS[roadblocks[0]] if roadblocks else ()


def topic_words(text: str) -> set[str]:
    """Rough stems of the words that carry what a line is about (names, places, things)."""
    words = WORD.findall(text.casefold().replace("\u2019", "'"))
    words = [word.removesuffix("'s") for word in words]
    return {word[:STEM_LENGTH] for word in words if len(word) > 2 and word not in COMMON}


def _rank(reply: str, line: str, topics: set[str]) -> tuple[int, str]:
    """Most words shared with the line first; ties broken by a hash of line and reply (varies by turn)."""
    shared = len(topic_words(reply) & topics)
    return shared, hashlib.sha256(f"{line}\n{reply}".encode()).hexdigest()


def suggest(
    persona: Persona, layer: int, line: str, grade: TurnGrade, shown: Collection[str] = ()
) -> str | None:
    """The exemplar to show for this turn, or None (good listening, or a persona without exemplars).

    Candidates are the layer's replies of the kinds that repair the missed move; one not yet shown
    in this conversation is preferred, then the one sharing most words with the persona's line.
    """
    exemplars = persona.layers[max(0, min(layer, len(persona.layers) - 1))].exemplars
    kinds = repair_kinds(grade)
    if exemplars is None or not kinds:
        return None
    candidates = [reply for kind in kinds for reply in exemplars.of(kind)]
    fresh = [reply for reply in candidates if reply not in shown] or candidates
    topics = topic_words(line)
    return max(fresh, key=lambda reply: _rank(reply, line, topics))


def layer_answered(persona: Persona, turns: Sequence[TurnRecord], index: int) -> int:
    """The disclosure layer the persona was at when the learner spoke turn `index`."""
    earlier = [t.openness for t in turns[:index] if t.role == "learner" and t.openness is not None]
    return layer_for(persona, earlier[-1] if earlier else persona.dynamics.start_openness)


def line_answered(turns: Sequence[TurnRecord], index: int) -> str:
    """The persona line the learner turn `index` answers ('' before the persona has spoken)."""
    lines = [turn.text for turn in turns[:index] if turn.role == "persona"]
    return lines[-1] if lines else ""


def shown_before(turns: Sequence[TurnRecord], index: int) -> set[str]:
    """Suggestions already given to earlier learner turns of the conversation."""
    grades = [g for t in turns[:index] if t.role == "learner" for g in (t.fast_grade, t.grade) if g]
    return {grade.suggestion for grade in grades if grade.suggestion}


def coached(persona: Persona, turns: Sequence[TurnRecord], index: int, grade: TurnGrade) -> TurnGrade:
    """An offline grade with its suggestion replaced by the persona's exemplar for turn `index`.

    Other graders' grades, failed grades and personas without exemplars come back unchanged.
    """
    if not grade.ok or not grade.grader.startswith(OFFLINE_PREFIX) or not persona.has_exemplars:
        return grade
    line, layer = line_answered(turns, index), layer_answered(persona, turns, index)
    suggestion = suggest(persona, layer, line, grade, shown_before(turns, index))
    return grade.model_copy(update={"suggestion": suggestion})
