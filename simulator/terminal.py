"""Text from models made safe for a terminal: escape sequences and control characters removed."""

import re
from collections.abc import Iterable, Iterator

# ESC-started sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings (ended by BEL or ESC \),
# and two-character escapes; then the 8-bit forms of the same, and any other control character
# except newline and tab.
ESCAPE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]                         # CSI: colours, cursor moves, clear screen
  | \x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c) # OSC / DCS / SOS / PM / APC string with its end
  | \x1b[ -/]*[0-OQ-WYZ\\`-~]                       # other escapes (ESC c, ESC 7, ESC ( B, ESC \)
  | \x9b[0-?]*[ -/]*[@-~]                           # 8-bit CSI
  | [\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c) # 8-bit string commands with their end
    """,
    re.VERBOSE,
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
INTRODUCERS = "\x1b\x90\x98\x9b\x9d\x9e\x9f"
UNFINISHED = re.compile(f"[{INTRODUCERS}][^{INTRODUCERS}]*\\Z")
MAX_HELD = 256


def terminal_text(text: str) -> str:
    """The text without escape sequences or control characters (newlines and tabs kept)."""
    return CONTROL.sub("", ESCAPE.sub("", text))


def terminal_pieces(pieces: Iterable[str]) -> Iterator[str]:
    """Streamed text made safe piece by piece; a sequence split across pieces is held until complete
    (at most MAX_HELD characters), so no part of it reaches the terminal."""
    held = ""
    for piece in pieces:
        held += piece
        ready, held = _split_unfinished(held)
        if ready:
            yield terminal_text(ready)
    if terminal_text(held):
        yield terminal_text(held)


def _split_unfinished(text: str) -> tuple[str, str]:
    """(text safe to clean now, a trailing escape that may still be completed by the next piece)."""
    match = UNFINISHED.search(text)
    if match is None or ESCAPE.match(text, match.start()) or len(text) - match.start() > MAX_HELD:
        return text, ""
    return text[: match.start()], text[match.start() :]
