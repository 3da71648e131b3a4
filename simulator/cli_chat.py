"""`listenlab chat`: an interactive or scripted terminal role-play with per-turn feedback."""

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from simulator.access import LOCAL_ACTOR, AccessDenied, Actor
from simulator.backends import fast_grader, make_feedback_grader, make_speaker
from simulator.cli_views import print_feedback, print_summary, shown
from simulator.export import session_json
from simulator.files import FileProblem, read_utf8
from simulator.personas import Persona
from simulator.recording import MemoryRecorder, SessionInfo, TurnRecord
from simulator.session import PracticeSession, ReplyFailed, persona_hash
from simulator.settings import Settings
from simulator.terminal import terminal_pieces

END_WORDS = {"/end", "/quit", "/exit"}


class ChatError(ValueError):
    """A conversation that cannot start as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ChatOptions:
    """What the learner asked `chat` for."""

    persona_id: str | None = None
    resume: str | None = None
    script: Path | None = None
    as_json: bool = False
    seed: int = 0
    save: bool = True
    user: str | None = None
    assignment: int | None = None


def is_end(text: str) -> bool:
    """True for a line that finishes the conversation (/end, /quit, /exit)."""
    return text.strip().lower() in END_WORDS


def script_turns(path: Path) -> list[str]:
    """One learner turn per non-blank line of a script (lines end at a newline only), up to /end."""
    try:
        text = read_utf8(path)
    except FileProblem as exc:
        raise ChatError(f"cannot use the script: {exc}") from exc
    turns = []
    for line in text.split("\n"):
        if is_end(line):
            break
        if line.strip():
            turns.append(line.strip())
    return turns


def typed_turns(console: Console) -> Iterator[str]:
    """Learner turns typed at the prompt until /end or end of input."""
    console.print("[dim]Type your reply and press Enter. /end finishes and shows the summary.[/dim]")
    while True:
        try:
            text = console.input("[bold]you ›[/bold] ").strip()
        except EOFError:
            return
        if is_end(text):
            return
        if text:
            yield text


def chosen_persona(personas: dict[str, Persona], persona_id: str | None) -> Persona:
    """The persona with this id, or ChatError listing the ones there are."""
    if persona_id in personas:
        return personas[persona_id]
    choices = ", ".join(sorted(personas))
    asked = f"Unknown persona '{persona_id}'" if persona_id else "Name a persona with --persona"
    raise ChatError(f"{asked}. Choose one of: {choices}.")


def session_parts(settings: Settings):
    """The configured speaker, fast grader and feedback grader."""
    return make_speaker(settings), fast_grader(), make_feedback_grader(settings)


def new_session(
    persona: Persona,
    settings: Settings,
    seed: int,
    recorder,
    actor: Actor = LOCAL_ACTOR,
    assignment_id: int | None = None,
) -> PracticeSession:
    """A new session of the actor's (for an assignment, or free practice) with the configured speaker and
    graders."""
    speaker, fast, feedback = session_parts(settings)
    info = SessionInfo(
        persona_id=persona.id,
        persona_hash=persona_hash(persona),
        speaker=speaker.name,
        grader=feedback.name,
        seed=seed,
        user_id=actor.id,
        assignment_id=assignment_id,
    )
    return PracticeSession.begin(
        persona, speaker, fast, feedback_grader=feedback, recorder=recorder, info=info
    )


def resumed_session(options: ChatOptions, settings: Settings, personas: dict[str, Persona]):
    """A session left open in the database, rebuilt to carry on with it."""
    from simulator.store import StoreRecorder, load_own_session, open_store, persona_version

    if not options.save:
        raise ChatError("--resume continues a session from the database; leave out --no-save")
    engine = open_store(settings.db_url)
    try:
        stored = load_own_session(engine, options.resume, acting_user(engine, options.user))
    except AccessDenied as exc:
        raise ChatError(f"{exc} (session database: LISTENLAB_DB_URL)") from exc
    check_resumable(stored, options)
    saved = persona_version(engine, stored.info.persona_hash) if stored.info.persona_hash else None
    persona = saved or chosen_persona(personas, stored.info.persona_id)
    speaker, fast, feedback = session_parts(settings)
    return PracticeSession.resume(
        persona,
        speaker,
        fast,
        stored.info,
        stored.turns,
        feedback_grader=feedback,
        recorder=StoreRecorder(engine),
    )


def check_resumable(stored, options: ChatOptions) -> None:
    """ChatError when a stored session has ended or is with another persona than the one asked for."""
    persona_id = stored.info.persona_id
    if stored.ended_at is not None:
        raise ChatError(f"session '{options.resume}' has ended; start a new one with --persona {persona_id}")
    if options.persona_id and options.persona_id != persona_id:
        raise ChatError(
            f"session '{options.resume}' is with persona '{persona_id}', not '{options.persona_id}'"
        )
    if options.assignment is not None and options.assignment != stored.info.assignment_id:
        raise ChatError(f"session '{options.resume}' is not a session of assignment {options.assignment}")


def acting_user(engine, username: str | None) -> Actor:
    """The user a session is recorded for: the one named with --user, else the local learner."""
    from simulator.accounts import AccountError, actor_of, require_user

    if not username:
        return LOCAL_ACTOR
    try:
        return actor_of(engine, require_user(engine, username))
    except AccountError as exc:
        raise ChatError(str(exc)) from exc


def practice_target(engine, actor: Actor, options: ChatOptions, personas: dict[str, Persona]):
    """(persona, assignment id): the assignment's persona when one is named (it must be the actor's, open,
    with attempts left), else the persona asked for, as free practice."""
    from simulator.cohorts import CohortError, assignment_to_practise

    if options.assignment is None:
        return chosen_persona(personas, options.persona_id), None
    try:
        row = assignment_to_practise(engine, actor, options.assignment)
    except AccessDenied as exc:
        raise ChatError(
            f"{str(exc).rstrip('.')} (practising as '{actor.username}'; name the learner with --user)"
        ) from exc
    except CohortError as exc:
        raise ChatError(str(exc)) from exc
    if options.persona_id and options.persona_id != row.persona_id:
        raise ChatError(
            f"assignment {row.id} is with persona '{row.persona_id}', not '{options.persona_id}'; "
            "leave out --persona"
        )
    return chosen_persona(personas, row.persona_id), row.id


def stored_session(options: ChatOptions, settings: Settings, personas: dict[str, Persona]):
    """A new session recorded in the configured database (so the app's history shows it too), for the
    user and assignment asked for."""
    from simulator.store import StoreRecorder, open_store

    engine = open_store(settings.db_url)
    actor = acting_user(engine, options.user)
    persona, assignment_id = practice_target(engine, actor, options, personas)
    recorder = StoreRecorder(engine)
    recorder.remember_persona(persona)
    return new_session(persona, settings, options.seed, recorder, actor, assignment_id)


def start_session(options: ChatOptions, settings: Settings, personas: dict[str, Persona]):
    """The session to hold: the one to resume, or a new one with the persona or assignment asked for."""
    if options.resume:
        return resumed_session(options, settings, personas)
    if options.save:
        return stored_session(options, settings, personas)
    if options.user or options.assignment is not None:
        raise ChatError("--user and --assignment record the session in the database; leave out --no-save")
    return new_session(chosen_persona(personas, options.persona_id), settings, options.seed, MemoryRecorder())


def persona_prompt(session: PracticeSession) -> str:
    """The persona's name as the prompt in front of their lines."""
    return f"[bold magenta]{shown(session.persona.title)} ›[/bold magenta]"


def print_turn(console: Console, session: PracticeSession, turn: TurnRecord) -> None:
    """One stored line of the conversation."""
    prompt = persona_prompt(session) if turn.role == "persona" else "[bold]you ›[/bold]"
    console.print(f"{prompt} {shown(turn.text)}", highlight=False)


def print_start(console: Console, session: PracticeSession, resumed: bool) -> None:
    """The scene, then the conversation so far (the opening line, or every turn of a resumed one)."""
    persona = session.persona
    console.print(f"[bold]{shown(persona.title)}[/bold] — {shown(persona.situation)}", highlight=False)
    console.print(f"[dim]Your goal: {shown(persona.learner_goal)}[/dim]", highlight=False)
    if resumed:
        console.print(f"[dim]Carrying on with session {session.id}.[/dim]")
    for turn in session.turns:
        print_turn(console, session, turn)


def answer(session: PracticeSession, turn: TurnRecord, console: Console, errors: Console) -> bool:
    """Stream the persona's reply to a learner turn, then its feedback. False when the reply failed."""
    console.print(f"{persona_prompt(session)} ", end="")
    try:
        for piece in terminal_pieces(session.stream_reply()):
            console.print(piece, end="", highlight=False, markup=False)
    except ReplyFailed as exc:
        console.print()
        errors.print(f"[red]{shown(str(exc))}[/red]", highlight=False)
        return False
    console.print()
    print_feedback(console, session.feedback(turn.index), turn.openness)
    return True


def play(session: PracticeSession, turns: Iterable[str], console: Console, errors: Console) -> bool:
    """Answer a turn left waiting for its reply, then play every turn. False when a reply failed."""
    if session.reply_pending and not answer(session, session.turns[-1], console, errors):
        return False
    return all(answer(session, session.submit(text), console, errors) for text in turns)


def leave_open(session: PracticeSession, saved: bool, errors: Console) -> None:
    """Stop without ending the session: collect the feedback, and say how to carry on."""
    session.wait_for_feedback()
    session.executor.shutdown(wait=False)
    if saved:
        errors.print(
            f"[red]Stopping here. Every turn so far is saved and the session stays open; carry on with "
            f"`listenlab chat --resume {session.id}`.[/red]",
            highlight=False,
        )
    else:
        errors.print(
            "[red]Stopping here. The session was not saved (--no-save), so it cannot be resumed.[/red]"
        )


def run_chat(options: ChatOptions, settings: Settings, personas: dict[str, Persona]) -> int:
    """Hold the conversation; return the process exit code (1 when a reply failed)."""
    script = script_turns(options.script) if options.script else None
    console = Console(stderr=options.as_json, quiet=options.as_json and script is not None)
    errors = Console(stderr=True)
    session = start_session(options, settings, personas)
    print_start(console, session, resumed=bool(options.resume))
    try:
        replied = play(session, script if script is not None else typed_turns(console), console, errors)
    except KeyboardInterrupt:
        replied = False
    if replied:
        print_summary(console, session.end())
    else:
        leave_open(session, options.save, errors)
    if options.as_json:
        sys.stdout.write(json.dumps(session_json(session), indent=2) + "\n")
    return 0 if replied else 1
