"""The UI-agnostic practice loop: persist the turn, grade it fast, move the persona, stream the reply."""

import hashlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from simulator.coaching import coached
from simulator.dynamics import PersonaState, advance, initial_state
from simulator.grader.base import Grader, GradeRequest
from simulator.grades import TurnGrade
from simulator.personas import Persona
from simulator.recording import (
    MemoryRecorder,
    SessionInfo,
    SessionRecorder,
    TurnRecord,
    new_session_id,
    utc_now,
)
from simulator.scoring import SessionMetrics, session_metrics
from simulator.speaker.base import Speaker, SpeakerRequest, Utterance


class ReplyFailed(RuntimeError):
    """The speaker could not produce a reply; the learner turn is saved and the reply can be retried."""


def persona_hash(persona: Persona) -> str:
    """A content hash, so old sessions stay interpretable after a persona file changes."""
    return hashlib.sha256(persona.model_dump_json().encode()).hexdigest()[:16]


def safe_grade(grader: Grader, request: GradeRequest) -> TurnGrade:
    """Grade, turning an unexpected grader exception into a failed grade with its reason."""
    try:
        return grader.grade(request)
    except Exception as exc:  # noqa: BLE001 - a grader bug must not end the conversation
        return TurnGrade.failed(getattr(grader, "name", "grader"), f"{type(exc).__name__}: {exc}")


def ai_grade(turn: TurnRecord) -> TurnGrade | None:
    """The graders' grade of a learner turn: the feedback grade when ok, else the fast one."""
    if turn.grade is not None and turn.grade.ok:
        return turn.grade
    return turn.fast_grade or turn.grade


def effective_grade(turn: TurnRecord) -> TurnGrade | None:
    """The grade a learner turn counts with: a facilitator's override, else the graders' grade."""
    return turn.override if turn.override is not None else ai_grade(turn)


def metrics_of(turns: list[TurnRecord], breakthrough_turn: int | None) -> SessionMetrics:
    """A conversation's metrics from its turns' effective grades, texts and openness."""
    learner = [turn for turn in turns if turn.role == "learner"]
    return session_metrics(
        [grade for grade in map(effective_grade, learner) if grade is not None],
        [turn.text for turn in learner],
        [turn.text for turn in turns if turn.role == "persona"],
        openness=[turn.openness for turn in learner if turn.openness is not None],
        breakthrough_turn=breakthrough_turn,
    )


class PracticeSession:
    """One role-play. Use `submit` then `stream_reply`, or `take_turn` for both."""

    def __init__(
        self,
        persona: Persona,
        speaker: Speaker,
        fast_grader: Grader,
        feedback_grader: Grader | None = None,
        recorder: SessionRecorder | None = None,
        info: SessionInfo | None = None,
    ):
        self.persona = persona
        self.speaker = speaker
        self.fast_grader = fast_grader
        self.feedback_grader = feedback_grader or fast_grader
        self.recorder = recorder or MemoryRecorder()
        self.info = info or SessionInfo(
            persona_id=persona.id,
            persona_hash=persona_hash(persona),
            speaker=speaker.name,
            grader=self.feedback_grader.name,
        )
        self.turns: list[TurnRecord] = []
        self.state: PersonaState = initial_state(persona)
        self.pending: dict[int, Future] = {}
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="feedback")

    @classmethod
    def begin(cls, persona: Persona, speaker: Speaker, fast_grader: Grader, **kwargs) -> "PracticeSession":
        """Start a new session: record it and the persona's opening line."""
        session = cls(persona, speaker, fast_grader, **kwargs)
        session.recorder.start(session.info)
        session._append(TurnRecord(index=0, role="persona", text=speaker.opening(persona)))
        return session

    @classmethod
    def resume(
        cls,
        persona: Persona,
        speaker: Speaker,
        fast_grader: Grader,
        info: SessionInfo,
        turns: list[TurnRecord],
        **kwargs,
    ) -> "PracticeSession":
        """Rebuild a stored session (after a reload or a crash); missing grades are graded again."""
        session = cls(persona, speaker, fast_grader, info=info, **kwargs)
        for turn in sorted(turns, key=lambda t: t.index):
            session._replay(turn.model_copy(deep=True))
        return session

    def branch(self, learner_index: int) -> "PracticeSession":
        """A new session replaying this one up to (not including) a learner turn: "try again from here"."""
        if self.turns[learner_index].role != "learner":
            raise ValueError(f"turn {learner_index} is not a learner turn")
        info = self.info.model_copy(
            update={
                "id": new_session_id(),
                "parent_id": self.id,
                "started_at": utc_now(),
            }
        )
        session = type(self)(
            self.persona,
            self.speaker,
            self.fast_grader,
            self.feedback_grader,
            self.recorder,
            info,
        )
        session.recorder.start(info)
        for turn in self.turns[:learner_index]:
            session._replay(turn.model_copy(deep=True), record=True)
        return session

    def _replay(self, turn: TurnRecord, record: bool = False) -> None:
        self.turns.append(turn)
        if record:
            self.recorder.save_turn(self.id, turn)
        if turn.role != "learner":
            return
        request = GradeRequest(context=self._context_before(turn.index), text=turn.text)
        self._move_persona(turn, request)
        if turn.grade is None or not turn.grade.ok:
            self._start_feedback(turn, request)

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def history(self) -> tuple[Utterance, ...]:
        return tuple(Utterance(turn.role, turn.text) for turn in self.turns)

    @property
    def learner_turns(self) -> list[TurnRecord]:
        return [turn for turn in self.turns if turn.role == "learner"]

    @property
    def reply_pending(self) -> bool:
        """True when the last learner turn has no reply yet (after a failure or a crash)."""
        return bool(self.turns) and self.turns[-1].role == "learner"

    def _append(self, turn: TurnRecord) -> None:
        self.recorder.save_turn(self.id, turn)
        self.turns.append(turn)

    def _context_before(self, index: int) -> str:
        persona_lines = [turn.text for turn in self.turns[:index] if turn.role == "persona"]
        return persona_lines[-1] if persona_lines else ""

    def submit(self, text: str) -> TurnRecord:
        """Save the learner's turn (before any model call), grade it fast and move the persona."""
        text = text.strip()
        if not text:
            raise ValueError("say something first: the turn is empty")
        if self.reply_pending:
            raise RuntimeError("the previous turn is still waiting for its reply; retry the reply first")
        request = GradeRequest(context=self._context_before(len(self.turns)), text=text)
        turn = TurnRecord(index=len(self.turns), role="learner", text=text)
        self._append(turn)
        self._move_persona(turn, request)
        self.recorder.save_turn(self.id, turn)
        self._start_feedback(turn, request)
        return turn

    def _move_persona(self, turn: TurnRecord, request: GradeRequest) -> None:
        """Grade the turn fast (unless it already has an ok fast grade) and move the persona by it."""
        if turn.fast_grade is None or not turn.fast_grade.ok:
            grade = safe_grade(self.fast_grader, request)
            turn.fast_grade = coached(self.persona, self.turns, turn.index, grade)
        self.state = advance(self.persona, self.state, turn.fast_grade)
        turn.openness = self.state.openness

    def _start_feedback(self, turn: TurnRecord, request: GradeRequest) -> None:
        if self.feedback_grader is self.fast_grader:
            self._record_grade(turn, turn.fast_grade)
        else:
            self.pending[turn.index] = self.executor.submit(safe_grade, self.feedback_grader, request)

    def _record_grade(self, turn: TurnRecord, grade: TurnGrade) -> None:
        turn.grade = coached(self.persona, self.turns, turn.index, grade)
        self.recorder.save_turn(self.id, turn)

    def stream_reply(self) -> Iterator[str]:
        """Stream the persona's reply to the last learner turn, then save it."""
        if not self.reply_pending:
            raise RuntimeError("there is no learner turn waiting for a reply")
        request = SpeakerRequest(self.persona, self.state, self.history, seed=self.info.seed)
        pieces: list[str] = []
        try:
            for piece in self.speaker.stream_reply(request):
                pieces.append(piece)
                yield piece
        except Exception as exc:  # noqa: BLE001 - reported to the learner; the turn stays saved
            raise ReplyFailed(
                f"{self.speaker.name} speaker failed: {exc}. Your turn is saved; retry."
            ) from exc
        reply = "".join(pieces).strip()
        if not reply:
            raise ReplyFailed(
                f"{self.speaker.name} speaker returned an empty reply. Your turn is saved; retry."
            )
        self._append(TurnRecord(index=len(self.turns), role="persona", text=reply))

    def take_turn(self, text: str) -> Iterator[str]:
        """submit() now, and return the reply stream."""
        self.submit(text)
        return self.stream_reply()

    def feedback(self, index: int, timeout: float | None = None) -> TurnGrade:
        """The feedback grade of a learner turn, waiting for the grader if it is still running."""
        turn = self.turns[index]
        future = self.pending.pop(index, None)
        if future is not None:
            self._record_grade(turn, future.result(timeout=timeout))
        if turn.grade is None:
            raise KeyError(f"turn {index} has no grade")
        return turn.grade

    def wait_for_feedback(self, timeout: float | None = None) -> None:
        """Collect every outstanding feedback grade."""
        for index in list(self.pending):
            self.feedback(index, timeout)

    def metrics(self) -> SessionMetrics:
        """The session's metrics from what is known now."""
        return metrics_of(self.turns, self.state.breakthrough_turn)

    def end(self) -> SessionMetrics:
        """Wait for feedback, record the summary and stop the grading workers."""
        self.wait_for_feedback()
        metrics = self.metrics()
        self.recorder.finish(self.id, metrics)
        self.executor.shutdown(wait=False)
        return metrics
