"""A small valid persona built in code, for tests that must not depend on shipped files."""

from simulator.personas import Persona

EFFECTS = {
    "reflection": 0.15,
    "validation": 0.15,
    "open_question": 0.1,
    "closed_question": 0.0,
    "other": 0.0,
    "advice": -0.15,
    "reassurance": -0.1,
    "judgment": -0.25,
    "self_focus": -0.1,
}


def layer(name: str, unlock_at: float) -> dict:
    return {
        "name": name,
        "unlock_at": unlock_at,
        "disclosure": f"what {name} reveals here",
        "lines": [f"{name} line {i}" for i in range(4)],
        "answers": [f"{name} answer {i}" for i in range(4)],
    }


def persona_data(**overrides) -> dict:
    data = {
        "id": "test-person",
        "title": "Test person",
        "difficulty": 2,
        "situation": "A person who had a hard day and wants to talk.",
        "learner_goal": "Understand what is really wrong.",
        "hidden": {
            "background": "Works long shifts at a hospital ward.",
            "surface_concern": "the dishes",
            "underlying_feelings": ["invisible"],
            "core_need": "to be seen",
        },
        "style": {"voice": "tired and clipped", "verbosity": "terse", "traits": ["proud"]},
        "dynamics": {
            "start_openness": 0.3,
            "label_effects": dict(EFFECTS),
            "shutdown_below": 0.08,
            "breakthrough_at": 0.85,
        },
        "layers": [layer("surface", 0), layer("under", 0.4), layer("feeling", 0.6), layer("core", 0.75)],
        "lines": {
            "opening": "Don't ask. Long day.",
            "pushback": {
                k: [f"{k} pushback {i}" for i in range(3)]
                for k in ("advice", "reassurance", "judgment", "self_focus")
            },
            "closed_answers": ["yes", "no", "maybe"],
            "neutral": ["mm", "okay then"],
            "shutdown": ["forget it", "whatever"],
            "breakthrough": ["I just want you to see me."],
            "closing": ["thanks for listening"],
        },
    }
    data.update(overrides)
    return data


def make_persona(**overrides) -> Persona:
    return Persona.model_validate(persona_data(**overrides))
