"""Welcome, main menu, help, language and opting out of proactive messages."""

from __future__ import annotations

from content.textnorm import fold_words
from handlers.context import Context
from handlers.messages import Button, Reply
from storage import contacts
from storage.models import ContactStatus

# Words people type to stop messages, folded (no diacritics, lower case).
STOP_WORDS = {
    "stop",
    "dung",
    "dung lai",
    "dung nhan tin",
    "huy",
    "huy nhan tin",
    "huy dang ky",
    "unsubscribe",
    "khong nhan tin nua",
}


def is_stop_word(text: str) -> bool:
    return fold_words(text) in STOP_WORDS


def main_menu(ctx: Context) -> list[Button]:
    t = ctx.t
    return [
        Button(t("menu.qa"), "m:qa"),
        Button(t("menu.assess"), "m:assess"),
        Button(t("menu.events"), "m:events"),
        Button(t("menu.programmes"), "m:prog"),
        Button(t("menu.officer"), "m:officer"),
        Button(t("menu.lang"), "m:lang"),
    ]


def menu_button(ctx: Context) -> Button:
    return Button(ctx.t("menu.main"), "m:main")


def _name(ctx: Context) -> str:
    name = ctx.inbound.display_name or ctx.contact.display_name
    return name or ("anh/chị" if ctx.lang == "vi" else "there")


def start(ctx: Context, args: str = "") -> list[Reply]:
    if ctx.contact.status == ContactStatus.stopped:
        contacts.set_status(ctx.session, ctx.contact, ContactStatus.active)
        return [ctx.reply("welcome_back", name=_name(ctx)), menu(ctx)]
    return [Reply(text=ctx.t("welcome", name=_name(ctx)), buttons=main_menu(ctx))]


def menu(ctx: Context, args: str = "") -> Reply:
    return Reply(text=ctx.t("menu.title"), buttons=main_menu(ctx))


def help_(ctx: Context, args: str = "") -> list[Reply]:
    return [Reply(text=ctx.t("help"), buttons=[menu_button(ctx)])]


def choose_language(ctx: Context, args: str = "") -> list[Reply]:
    wanted = args.strip().lower()
    if wanted in ("vi", "en"):
        return set_language(ctx, wanted)
    buttons = [Button(ctx.t("lang.vi"), "lang:vi"), Button(ctx.t("lang.en"), "lang:en")]
    return [Reply(text=ctx.t("lang.choose"), buttons=buttons)]


def set_language(ctx: Context, lang: str) -> list[Reply]:
    if lang not in ("vi", "en"):
        return choose_language(ctx)
    contacts.set_language(ctx.session, ctx.contact, lang)
    return [Reply(text=ctx.t("lang.set"), buttons=main_menu(ctx))]


def stop(ctx: Context, args: str = "") -> list[Reply]:
    if ctx.contact.status == ContactStatus.stopped:
        return [ctx.reply("stop.already")]
    contacts.set_status(ctx.session, ctx.contact, ContactStatus.stopped)
    return [ctx.reply("stop.done")]


def not_ready(ctx: Context, feature: str) -> list[Reply]:
    name = ctx.t(f"feature.{feature}")
    return [Reply(text=ctx.t("not_ready", feature=name), buttons=[menu_button(ctx)])]
