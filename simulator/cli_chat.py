"""`listenlab chat`: an interactive or scripted terminal role-play with per-turn feedback."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

from simulator.backends import fast_grader, make_feedback_grader, make_speaker
from simulator.cli_views import print_feedback, print_summary
from simulator.export import session_json
from simulator.personas import Persona
from simulator.recording import MemoryRecorder, SessionInfo
from simulator.session import PracticeSession, ReplyFailed, persona_hash
from simulator.settings import Settings

END_WORDS = {"/end", "/quit", "/exit"}


def script_turns(path: Path) -> Iterator[str]:
    """One learner turn per non-blank line of a file."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield line.strip()


def typed_turns(console: Console) -> Iterator[str]:
    """Learner turns typed at the prompt until /end or end of input."""
    console.print("[dim]Type your reply and press Enter. /end finishes and shows the summary.[/dim]")
    while True:
        try:
            text = console.input("[bold]you ›[/bold] ").strip()
        except EOFError:
            return
        if text.lower() in END_WORDS:
            return
        if text:
            yield text


def open_session(persona: Persona, settings: Settings, seed: int, recorder) -> PracticeSession:
    """A new session with the configured speaker and graders, saved in the database."""
    speaker, fast, feedback = make_speaker(settings), fast_grader(), make_feedback_grader(settings)
    info = SessionInfo(
        persona_id=persona.id,
        persona_hash=persona_hash(persona),
        speaker=speaker.name,
        grader=feedback.name,
        seed=seed,
    )
    return PracticeSession.begin(
        persona, speaker, fast, feedback_grader=feedback, recorder=recorder, info=info
    )


def play_turn(session: PracticeSession, text: str, console: Console) -> bool:
    """Submit one turn, stream the reply, print feedback. False when the reply failed."""
    turn = session.submit(text)
    console.print(f"[bold magenta]{session.persona.title} ›[/bold magenta] ", end="")
    try:
        for piece in session.stream_reply():
            console.print(piece, end="", highlight=False, markup=False)
    except ReplyFailed as exc:
        console.print(f"\n[red]{exc}[/red]")
        return False
    console.print()
    print_feedback(console, session.feedback(turn.index), turn.openness)
    return True


def stored_recorder(settings: Settings, persona: Persona):
    """A recorder writing to the configured database, so the app's history shows CLI sessions too."""
    from simulator.store import StoreRecorder, open_store

    recorder = StoreRecorder(open_store(settings.db_url))
    recorder.remember_persona(persona)
    return recorder


def run_chat(
    persona: Persona, settings: Settings, script: Path | None, as_json: bool, seed: int, save: bool = True
) -> int:
    """Hold the conversation; return the process exit code."""
    console = Console(stderr=as_json, quiet=as_json and script is not None)
    session = open_session(
        persona, settings, seed, stored_recorder(settings, persona) if save else MemoryRecorder()
    )
    console.print(
        f"[bold]{persona.title}[/bold] — {persona.situation}\n[dim]Your goal: {persona.learner_goal}[/dim]"
    )
    console.print(f"[bold magenta]{persona.title} ›[/bold magenta] {session.turns[0].text}", highlight=False)
    turns = script_turns(script) if script else typed_turns(console)
    failed = False
    for text in turns:
        if not play_turn(session, text, console):
            console.print(f"[red]Stopping here; every turn so far is saved (session {session.id}).[/red]")
            failed = True
            break
    metrics = session.end()
    print_summary(console, metrics)
    if as_json:
        sys.stdout.write(json.dumps(session_json(session), indent=2) + "\n")
    return 1 if failed else 0
