"""The events configuration officers edit (content/events.yaml): kinds of event with their
names, topic and reminder offsets; the topics people subscribe to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path

import yaml

DURATION = re.compile(r"^(\d+)\s*([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Offset:
    before: timedelta  # how long before the start the reminder is due
    grace: timedelta  # how late it may still go out after a downtime

    @property
    def minutes(self) -> int:
        return int(self.before.total_seconds() // 60)


@dataclass(frozen=True)
class Kind:
    id: str
    name: dict[str, str]
    topic: str
    remind: tuple[Offset, ...]
    who: str = "registrants"  # or "subscribers" (programme deadlines have no registration)
    remind_at: time | None = None  # date-only events: local time of day of their reminders


@dataclass
class EventsConfig:
    kinds: dict[str, Kind] = field(default_factory=dict)
    topics: dict[str, dict[str, str]] = field(default_factory=dict)

    def kind(self, kind_id: str) -> Kind:
        return self.kinds.get(kind_id) or self.kinds["other"]

    def offset(self, kind_id: str, minutes: int) -> Offset | None:
        return next((o for o in self.kind(kind_id).remind if o.minutes == minutes), None)


def parse_duration(text: str) -> timedelta:
    """ "30m", "2h", "7d" -> timedelta; raises ValueError otherwise."""
    m = DURATION.match(str(text).strip())
    if not m:
        raise ValueError(f"{text!r} is not a duration like 30m, 2h or 7d")
    return timedelta(**{UNITS[m.group(2)]: int(m.group(1))})


def load(directory: Path, errors: list[str]) -> EventsConfig:
    """Read content/events.yaml; every problem goes to `errors` with the file and entry."""
    path = directory / "events.yaml"
    name = "events.yaml"
    config = EventsConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        errors.append(f"{name}: cannot read: {exc}".splitlines()[0])
        return config
    for topic, names in (data.get("topics") or {}).items():
        if not isinstance(names, dict) or not names.get("vi") or not names.get("en"):
            errors.append(f"{name}: topics.{topic}: needs vi and en names")
            continue
        config.topics[str(topic)] = {"vi": names["vi"], "en": names["en"]}
    for kind_id, raw in (data.get("kinds") or {}).items():
        where = f"{name}: kinds.{kind_id}"
        try:
            offsets = tuple(
                Offset(parse_duration(o["before"]), parse_duration(o["grace"]))
                for o in raw.get("remind") or []
            )
            at = raw.get("remind_at")
            remind_at = time.fromisoformat(at) if at else None
        except (KeyError, TypeError, ValueError) as exc:
            errors.append(f"{where}: remind: {exc}")
            continue
        names = raw.get("name") or {}
        if not names.get("vi") or not names.get("en"):
            errors.append(f"{where}: needs vi and en names")
        if raw.get("topic") not in config.topics:
            errors.append(f"{where}: topic {raw.get('topic')!r} is not one of the topics")
        who = raw.get("who", "registrants")
        if who not in ("registrants", "subscribers"):
            errors.append(f"{where}: who must be registrants or subscribers")
        config.kinds[str(kind_id)] = Kind(
            str(kind_id), dict(names), str(raw.get("topic")), offsets, who, remind_at
        )
    if "other" not in config.kinds:
        errors.append(f"{name}: kinds: the kind 'other' is required (the fallback)")
    return config


@dataclass
class EventsContent:
    """Only what the events capability reads (texts and this configuration): the officer CLI
    uses it without building the knowledge base's search index."""

    texts: object  # content.texts.Texts
    events: EventsConfig


def load_events_content(directory: Path) -> EventsContent:
    """Raises content.texts.ContentError listing every problem."""
    from content.texts import ContentError, Texts

    errors: list[str] = []
    texts = Texts.load(directory / "texts", errors)
    config = load(directory, errors)
    if errors:
        raise ContentError(errors)
    return EventsContent(texts, config)
