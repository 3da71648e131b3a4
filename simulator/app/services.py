"""What the pages ask for: start, resume, branch and end practice sessions against the store."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from simulator import backends
from simulator.access import Actor
from simulator.app.catalog import PersonaCatalog
from simulator.cohorts import LearnerAssignment, assignment_to_practise, cohort_by_code, learner_assignments
from simulator.grader.base import Grader
from simulator.personas import Persona
from simulator.recording import SessionInfo
from simulator.session import PracticeSession
from simulator.settings import Settings
from simulator.speaker.base import Speaker
from simulator.speaker.scripted import ScriptedSpeaker
from simulator.store import (
    SessionSummary,
    StoredSession,
    StoreRecorder,
    delete_session,
    load_own_session,
    load_session,
    open_session_id,
    open_store,
    persona_version,
    session_summaries,
)
from simulator.store.models import CohortRow


@dataclass
class AppServices:
    """The configured backends, the store and the persona catalogue, built once per app process."""

    settings: Settings
    engine: Engine
    speaker: Speaker
    fast_grader: Grader
    feedback_grader: Grader
    catalog: PersonaCatalog
    problems: list[str] = field(default_factory=list)

    @property
    def recorder(self) -> StoreRecorder:
        return StoreRecorder(self.engine)

    def _session_kwargs(self) -> dict:
        return {"feedback_grader": self.feedback_grader, "recorder": self.recorder}

    def start(self, persona_id: str, actor: Actor, assignment_id: int | None = None) -> PracticeSession:
        """A new session of the actor's with a persona from the catalogue (for an assignment, when given:
        one of theirs, open, with attempts left, and of that persona), stored with the persona's exact
        content."""
        if assignment_id is not None:
            assigned = assignment_to_practise(self.engine, actor, assignment_id).persona_id
            if assigned != persona_id:
                raise ValueError(f"Assignment {assignment_id} is to practise {assigned}, not {persona_id}.")
        persona = self.catalog.load().personas[persona_id]
        info = SessionInfo(
            persona_id=persona.id,
            persona_hash=self.recorder.remember_persona(persona),
            speaker=self.speaker.name,
            grader=self.feedback_grader.name,
            user_id=actor.id,
            assignment_id=assignment_id,
            seed=self.settings.seed,
        )
        return PracticeSession.begin(
            persona, self.speaker, self.fast_grader, info=info, **self._session_kwargs()
        )

    def start_assignment(self, assignment_id: int, actor: Actor) -> PracticeSession:
        """A new attempt at one of the actor's assignments (CohortError when it is closed or used up)."""
        row = assignment_to_practise(self.engine, actor, assignment_id)
        return self.start(row.persona_id, actor, row.id)

    def assignment(self, assignment_id: int | None, actor: Actor) -> LearnerAssignment | None:
        """One of the actor's assignments as they see it (None for free practice or not theirs)."""
        if assignment_id is None:
            return None
        mine = [a for a in self.assignments(actor) if a.assignment.id == assignment_id]
        return mine[0] if mine else None

    def assignments(self, actor: Actor) -> list[LearnerAssignment]:
        """The actor's assignments in every cohort they learn in, soonest due first."""
        return learner_assignments(self.engine, actor)

    def cohort_for_code(self, code: str) -> CohortRow:
        """The cohort a join code opens; CohortError for an unknown or expired code."""
        with Session(self.engine, expire_on_commit=False) as db:
            return cohort_by_code(db, code)

    def persona_titles(self) -> dict[str, str]:
        """Persona id -> title, for naming assignments."""
        return {pid: entry.persona.title for pid, entry in self.catalog.load().entries.items()}

    def persona_of(self, info: SessionInfo) -> Persona:
        """The persona exactly as the session used it, else today's version of it."""
        stored = persona_version(self.engine, info.persona_hash) if info.persona_hash else None
        return stored or self.catalog.load().personas[info.persona_id]

    def resume(self, session_id: str, actor: Actor) -> PracticeSession:
        """Rebuild one of the actor's own sessions to carry on with it (others may only read it)."""
        stored = load_own_session(self.engine, session_id, actor)
        persona = self.persona_of(stored.info)
        return PracticeSession.resume(
            persona, self.speaker, self.fast_grader, stored.info, stored.turns, **self._session_kwargs()
        )

    def resume_open(self, actor: Actor) -> PracticeSession | None:
        """The actor's session left open (by a reload, a closed tab or a crash), if there is one."""
        session_id = open_session_id(self.engine, actor)
        return self.resume(session_id, actor) if session_id else None

    def retry_from(self, session_id: str, learner_index: int, actor: Actor) -> PracticeSession:
        """A new session replaying one of the actor's up to a learner turn ("try again from here")."""
        original = self.resume(session_id, actor)
        if original.info.assignment_id is not None:  # a retry is another attempt at the assignment
            assignment_to_practise(self.engine, actor, original.info.assignment_id)
        branch = original.branch(learner_index)
        original.executor.shutdown(wait=False)
        return branch

    def leave(self, session: PracticeSession, actor: Actor) -> None:
        """Close a session the learner walks away from: end it, or drop it if they never spoke."""
        if session.learner_turns:
            session.end()
            return
        session.executor.shutdown(wait=False)
        delete_session(self.engine, session.id, actor)

    def stored(self, session_id: str, actor: Actor) -> StoredSession:
        """A session the actor may read; AccessDenied otherwise."""
        return load_session(self.engine, session_id, actor)

    def history(self, actor: Actor) -> list[SessionSummary]:
        return session_summaries(self.engine, actor)


def coalesce(
    pieces: Iterator[str], interval: float = 0.04, clock: Callable[[], float] = time.monotonic
) -> Iterator[str]:
    """The first piece at once, then whatever arrived since, at most every `interval` seconds (fewer,
    larger browser updates; a fast speaker's whole reply arrives in one or two)."""
    buffer: list[str] = []
    last = float("-inf")
    for piece in pieces:
        buffer.append(piece)
        if clock() - last >= interval:
            yield "".join(buffer)
            buffer.clear()
            last = clock()
    if buffer:
        yield "".join(buffer)


def collect_ready_feedback(session: PracticeSession) -> bool:
    """Store every feedback grade that has arrived; True when any did."""
    ready = [index for index, future in session.pending.items() if future.done()]
    for index in ready:
        session.feedback(index)
    return bool(ready)


def _speaker_or_fallback(settings: Settings, problems: list[str]) -> Speaker:
    try:
        return backends.make_speaker(settings)
    except Exception as exc:  # noqa: BLE001 - shown in the sidebar; the app stays usable
        problems.append(
            f"The {settings.speaker} speaker could not start ({exc}); using the scripted speaker."
        )
        return ScriptedSpeaker()


def _grader_or_fallback(settings: Settings, problems: list[str]) -> Grader:
    try:
        return backends.make_feedback_grader(settings)
    except Exception as exc:  # noqa: BLE001 - shown in the sidebar; the app stays usable
        problems.append(f"The {settings.grader} grader could not start ({exc}); using the offline grader.")
        return backends.fast_grader()


def build_services(settings: Settings, catalog: PersonaCatalog | None = None) -> AppServices:
    """Open the store (migrating it) and build the configured speaker and graders."""
    problems: list[str] = []
    return AppServices(
        settings=settings,
        engine=open_store(settings.db_url),
        speaker=_speaker_or_fallback(settings, problems),
        fast_grader=backends.fast_grader(),
        feedback_grader=_grader_or_fallback(settings, problems),
        catalog=catalog or PersonaCatalog(),
        problems=problems,
    )
