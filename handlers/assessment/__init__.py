"""The quick assessment in chat: consent, one question at a time, answers stored the moment
they are given, resume after any interruption, result with tailored next steps.

    entry.py       commands, free text, the "as:" buttons
    flow.py        asking, storing, skip/back, multi-choice selection, completion
    keys.py        button payloads bound to value, question, version and step
    result.py      the result and its comparison
    nudge.py       the 24-hour nudge and the expiry housekeeping
    enterprise.py  company answers -> enterprise record
    personal.py    /mydata and /deletedata hooks
"""

from handlers.assessment.entry import (
    back_command,
    button,
    cancel,
    command,
    on_consent_text,
    on_free_text,
    on_text,
    skip_command,
)
from handlers.assessment.flow import CONSENT_FLOW, CONSENT_PURPOSE, CONSENT_VERSION, DRAFT, FLOW
from handlers.assessment.nudge import NUDGE, expire_stale, render_nudge
from handlers.assessment.personal import describe_personal, erase_personal
from handlers.assessment.result import result_command
from handlers.capability import Capability, Command, Flow, Job, MenuItem, OutboxKind, PersonalData

COMMANDS = {"assess", "skip", "back", "cancel"}  # commands that keep the assessment going

CAPABILITY = Capability(
    name="assessment",
    commands=(
        Command("assess", command, announce=True),
        Command("result", result_command, announce=True),
        Command("cancel", cancel),
        Command("skip", skip_command),
        Command("back", back_command),
    ),
    buttons={"as": button},
    flow=Flow(
        FLOW, on_text, namespace="as", keeps_open=frozenset(COMMANDS), pause_notice="assess.paused"
    ),
    menu=(MenuItem("assess", "menu.assess", command, 20),),
    outbox=(OutboxKind(NUDGE, render_nudge),),
    jobs=(
        Job(
            "expire_assessments",
            lambda session, now, settings: expire_stale(
                session, now, settings.assessment_expiry_days
            ),
        ),
    ),
    personal=PersonalData(tables=("responses",), erase=erase_personal, describe=describe_personal),
    free_text=on_free_text,
)

# The consent prompt has its own flow: a typed answer presses its button, and leaving it
# pauses nothing (no answer is stored yet).
CONSENT = Capability(
    name="assessment_consent",
    flow=Flow(CONSENT_FLOW, on_consent_text, namespace="as", keeps_open=frozenset(COMMANDS)),
)

__all__ = [
    "CAPABILITY",
    "CONSENT",
    "COMMANDS",
    "CONSENT_PURPOSE",
    "CONSENT_VERSION",
    "DRAFT",
    "FLOW",
    "NUDGE",
    "back_command",
    "button",
    "cancel",
    "command",
    "expire_stale",
    "on_text",
    "render_nudge",
    "result_command",
    "skip_command",
]
