"""Pure functions: finished sessions -> progress per listening skill (first, best, latest)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from simulator.store.queries import SessionSummary


class Skill(BaseModel):
    """One skill tracked over time, read from a SessionMetrics field."""

    key: str
    name: str
    better: Literal["higher", "lower"]
    percent: bool = False


SKILLS: tuple[Skill, ...] = (
    Skill(key="mean_score", name="Listening quality (mean score, 1-5)", better="higher"),
    Skill(
        key="reflection_to_question", name="Reflections per question (MITI: fair 1, good 2)", better="higher"
    ),
    Skill(
        key="open_question_share",
        name="Open questions (share of your questions)",
        better="higher",
        percent=True,
    ),
    Skill(key="roadblock_rate", name="Roadblocks (share of your turns)", better="lower", percent=True),
    Skill(key="talk_balance", name="Your share of the words spoken", better="lower", percent=True),
)


class SkillPoint(BaseModel):
    """A skill's value in one session."""

    session_id: str
    started_at: datetime
    value: float


class SkillProgress(BaseModel):
    """First, best and latest value of a skill across sessions (None when no session measured it)."""

    skill: Skill
    points: list[SkillPoint]
    first: float | None
    best: float | None
    latest: float | None

    @property
    def improved(self) -> bool | None:
        """Whether the latest session beats the first (None with fewer than two sessions)."""
        if len(self.points) < 2 or self.first is None or self.latest is None:
            return None
        return self.latest > self.first if self.skill.better == "higher" else self.latest < self.first


def skill_points(skill: Skill, summaries: list[SessionSummary]) -> list[SkillPoint]:
    """The sessions, oldest first, that measured this skill (e.g. no questions -> no open-question share)."""
    points = [
        SkillPoint(session_id=s.id, started_at=s.started_at, value=getattr(s.metrics, skill.key))
        for s in sorted(summaries, key=lambda s: s.started_at)
        if getattr(s.metrics, skill.key) is not None
    ]
    return points


def skill_progress(
    summaries: list[SessionSummary], skills: tuple[Skill, ...] = SKILLS
) -> list[SkillProgress]:
    """Progress of each skill over the given sessions."""
    progress = []
    for skill in skills:
        points = skill_points(skill, summaries)
        values = [point.value for point in points]
        best = (max if skill.better == "higher" else min)(values) if values else None
        progress.append(
            SkillProgress(
                skill=skill,
                points=points,
                first=values[0] if values else None,
                best=best,
                latest=values[-1] if values else None,
            )
        )
    return progress
