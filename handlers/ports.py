"""What handlers need from the settings, as a small protocol: handlers never import the bot
layer (bot.settings satisfies it; tests may pass any object with these members)."""

from __future__ import annotations

from typing import Any, Protocol
from zoneinfo import ZoneInfo


class HandlerSettings(Protocol):
    default_language: str  # "vi" or "en"
    assessment_expiry_days: int
    assessment_nudge_hours: int
    officer_ids: list[str]  # "telegram:123", as in SXSH_OFFICER_IDS
    tickets: Any  # bot.settings.TicketSettings: reopen_days, remind_after_hours, work hours

    @property
    def tz(self) -> ZoneInfo: ...

    def is_officer(self, channel: str, user_id: str) -> bool:
        """Whether (channel, platform id) is an officer now, per the current settings."""
        ...


class CapabilityView(Protocol):
    """What a handler reads of the capability registry (handlers/registry.Registry satisfies
    it): the declarations (/mydata, /deletedata walk them) and the main menu. A protocol, so the
    context does not import the registry that imports every capability (no import cycle)."""

    capabilities: tuple[Any, ...]  # handlers.capability.Capability
    menu: list[Any]  # handlers.capability.MenuItem, in menu order

    def menu_item(self, key: str) -> Any: ...  # MenuItem | None


class ReportFiles(Protocol):
    """The files an officer receives in chat, made by the composition root (bot/exports/
    satisfies it): handlers compute the figures and rows, never write files themselves."""

    def figures_png(self, figures: Any, texts: Any) -> bytes:
        """The chart of handlers.reports.figures.Figures, labels from content.texts.Texts."""
        ...

    def responses_xlsx(
        self,
        headers: list[str],
        rows: list[list[Any]],
        summary: tuple[list[str], list[list[Any]]],
        lang: str,
        texts: Any,
        notes: list[str],
    ) -> bytes:
        """The assessment export (bot/exports/xlsx.responses_workbook) as .xlsx bytes."""
        ...
