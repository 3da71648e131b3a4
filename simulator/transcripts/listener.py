"""Decide whose turns are graded: the names asked for, or a listener role that is unambiguous."""

from collections.abc import Sequence

from simulator.transcripts.model import ListenerUnknown

LISTENER_ROLES = frozenset(
    {
        "listener",
        "learner",
        "coach",
        "counselor",
        "counsellor",
        "therapist",
        "interviewer",
        "helper",
        "mentor",
    }
)
SPEAKER_ROLES = frozenset(
    {"speaker", "client", "persona", "patient", "coachee", "customer", "caller", "mentee"}
)


def fold(name: str) -> str:
    """Case- and space-insensitive form of a name."""
    return " ".join(name.casefold().split())


def speakers_phrase(speakers: dict[str, int]) -> str:
    """'Alice (12 turns), Bob (11 turns)'."""
    return ", ".join(f"{name} ({count} turn{'s' if count != 1 else ''})" for name, count in speakers.items())


def choose_listener(speakers: dict[str, int], wanted: Sequence[str] = ()) -> str:
    """The listener among `speakers` (name -> turn count); raises ListenerUnknown listing them."""
    if not speakers:
        raise ListenerUnknown("the transcript has no turns", speakers)
    if wanted:
        return named_listener(speakers, wanted)
    return detected_listener(speakers)


def named_listener(speakers: dict[str, int], wanted: Sequence[str]) -> str:
    """The one speaker whose name is among `wanted`."""
    folded = {fold(name) for name in wanted}
    found = [name for name in speakers if fold(name) in folded]
    if len(found) == 1:
        return found[0]
    names = " or ".join(repr(name) for name in wanted)
    if not found:
        raise ListenerUnknown(
            f"no listener turns: {names} is not among the speakers {speakers_phrase(speakers)}", speakers
        )
    raise ListenerUnknown(f"more than one listener matches {names}: {', '.join(found)}", speakers)


def detected_listener(speakers: dict[str, int]) -> str:
    """A listener-role name (coach, therapist, ...) when exactly one speaker has one, else the one
    speaker of two who is not a speaker-role name (client, persona, ...)."""
    by_role = [name for name in speakers if fold(name) in LISTENER_ROLES]
    if len(by_role) == 1:
        return by_role[0]
    if not by_role and len(speakers) == 2:
        others = [name for name in speakers if fold(name) not in SPEAKER_ROLES]
        if len(others) == 1:
            return others[0]
    raise ListenerUnknown(
        f"cannot tell who the listener is; speakers found: {speakers_phrase(speakers)}; pass --listener NAME",
        speakers,
    )
