"""Cue features for the moves n-grams miss: turn-final advice, short feeling echoes, everyday validation.

Each cue is a feature string the linear model weighs like any other; the lists come from the label
definitions (DESIGN.md), not from any evaluation set.
"""

import re

from simulator.grader.guard import addresses_grader

FEELINGS = frozenset(
    """afraid alone angry annoyed anxious ashamed betrayed bitter blindsided broken bummed burnt
    confused crushed defeated deflated devastated disappointed discouraged drained dreading embarrassed
    empty exhausted fed frightened frustrated fuming furious gutted guilty heartbroken heavy helpless
    hopeless hurt hurting humiliated ignored insecure invisible isolated jealous left lonely lost
    miserable nervous numb overlooked overwhelmed panicking panicked rattled regret rejected resentful
    sad scared shaken shattered sick sore stressed stuck tired torn trapped unappreciated unheard
    unseen upset used weighed worn worried worthless wrecked""".split()
)
_ADVICE_START = frozenset(
    """maybe try just go call tell ask stop get make put write take book talk text message delete block
    download join apply update document email set give start focus keep avoid consider find sit bring
    quit leave cut drink eat sleep move let dont don't""".split()
)
_ADVICE_PHRASES = re.compile(
    r"^(you (should|need to|could|have to|must|gotta|ought to)|have you (tried|thought about|considered)|"
    r"why (not|don't you)|what if you|how about|it might help|i'd|i would|if i were you|u should|u need)"
)
_VALIDATION = re.compile(
    r"\b(i hear (you|u)|(that|it)('s| is| must be| sounds| must have been)( so| really| such)? "
    r"(hard|rough|tough|awful|brutal|a lot|heavy|painful|exhausting|draining|unfair|frustrating|"
    r"heartbreaking|gutting|discouraging|isolating|scary)|makes (total |so much |a lot of )?sense|"
    r"no wonder|of course (you|u)|anyone would|(so|really) sorry|(that|it) sucks|understandable|"
    r"(you're|ur|you are) not (alone|crazy|a burden|broken|pathetic|stupid)|i get (it|that|why)|"
    r"it'?s (okay|ok) to|valid)\b"
)
_GREETING = re.compile(
    r"^(hi|hey+|hello|hiya|yo|morning|good (morning|afternoon|evening)|evening|welcome|thanks for)\b"
)
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+-+\s+|\s+(?:but|so|and maybe|maybe)\s+")
_CLAUSE_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def clauses_of(sentence: str) -> list[list[str]]:
    """Word tokens of each clause of a normalised sentence (split at commas, dashes, 'but', 'maybe')."""
    found = (_CLAUSE_WORD.findall(part) for part in _CLAUSE_BREAK.split(sentence))
    return [words for words in found if words]


def cue_features(text: str, sentences: list[list[str]], normalised: str) -> list[str]:
    """Cue feature strings of one normalised turn (its sentences already tokenised)."""
    words = [word for sentence in sentences for word in sentence if word not in {"?", "!"}]
    features = _tail_features(normalised)
    if any(word in FEELINGS for word in words):
        features.append("#feeling")
        if len(words) <= 5 and "?" not in normalised:
            features.append("#short_feeling")
    if normalised.rstrip().endswith(("...", "\u2026")):
        features.append("#trailing_off")
    if _VALIDATION.search(normalised):
        features.append("#validation_phrase")
    if _GREETING.match(normalised):
        features.append("#greeting")
    if addresses_grader(text):
        features.append("#addresses_grader")
    return features


def _tail_features(normalised: str) -> list[str]:
    """The opening words of the turn's last clause, and whether it starts like advice after other moves."""
    parts = [clause for piece in _SENTENCE_END.split(normalised) for clause in clauses_of(piece)]
    if len(parts) < 2:
        return ["#advice_start"] if parts and _starts_like_advice(parts[0]) else []
    last = parts[-1]
    features = ["K:" + " ".join(last[:2])]
    if _starts_like_advice(last):
        features.append("#advice_tail")
    return features


def _starts_like_advice(words: list[str]) -> bool:
    return words[0] in _ADVICE_START or bool(_ADVICE_PHRASES.match(" ".join(words)))
