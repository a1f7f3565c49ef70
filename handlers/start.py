"""Welcome, main menu, help, language and opting out of proactive messages."""

from __future__ import annotations

from content.textnorm import fold_words
from handlers.capability import Capability, Command, MenuItem
from handlers.context import Context
from handlers.messages import Button, Reply
from storage import contacts
from storage.models import ContactStatus


def main_menu(ctx: Context) -> list[Button]:
    """The main menu, from the registry's menu items (the channel lays them out)."""
    return [Button(ctx.t(item.label), f"m:{item.key}") for item in ctx.registry.menu]


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


def stale(ctx: Context) -> list[Reply]:
    """A button that no longer does anything: the stale-button line ("…Đây là menu chính:")
    and the main menu it announces, never the line alone."""
    return [ctx.reply("stale_button"), menu(ctx)]


def help_(ctx: Context, args: str = "") -> list[Reply]:
    """The help; an officer also gets the officer commands (to anyone else they do not exist)."""
    text = ctx.t("help") + ("\n\n" + ctx.t("help_officer") if ctx.is_officer else "")
    return [Reply(text=text, buttons=[menu_button(ctx)])]


def choose_language(ctx: Context, args: str = "") -> list[Reply]:
    wanted = args.strip().lower()
    if wanted in ("vi", "en"):
        return set_language(ctx, wanted)
    buttons = [Button(ctx.t("lang.vi"), "lang:vi"), Button(ctx.t("lang.en"), "lang:en")]
    return [Reply(text=ctx.t("lang.choose"), buttons=buttons)]


# A language named alone switches to it: someone who cannot read the other language types its
# name at "Chọn ngôn ngữ / Choose your language" instead of pressing (folded: no case or marks).
LANGUAGE_NAMES = {
    "en": frozenset({"english", "tieng anh", "english please", "in english", "english pls"}),
    "vi": frozenset({"tieng viet", "vietnamese", "in vietnamese", "vietnamese please"}),
}


def language_named(text: str) -> str | None:
    """ "en" or "vi" when the whole message names that language, else None."""
    typed = fold_words(text)
    return next((code for code, names in LANGUAGE_NAMES.items() if typed in names), None)


def typed_language(ctx: Context, text: str) -> list[Reply] | None:
    """The whole message names a language: switch to it; None for anything else."""
    lang = language_named(text)
    return set_language(ctx, lang) if lang else None


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


def menu_pressed(ctx: Context, arg: str) -> list[Reply] | Reply:
    """A main-menu button `m:<key>`: the registry's menu item, or the menu itself."""
    if arg == "main":
        return menu(ctx)
    item = ctx.registry.menu_item(arg)
    if item is None:
        return stale(ctx)
    return item.run(ctx, "")


def coming_soon(
    feature: str, *, commands: tuple[str, ...] = (), menu_order: int | None = None
) -> Capability:
    """A capability the content already announces but that is not built yet: its commands and
    menu item say so honestly (`not_ready`)."""

    def run(ctx: Context, args: str = "") -> list[Reply]:
        return not_ready(ctx, feature)

    items = () if menu_order is None else (MenuItem(feature, f"menu.{feature}", run, menu_order),)
    return Capability(name=feature, commands=tuple(Command(c, run) for c in commands), menu=items)


CAPABILITY = Capability(
    name="start",
    commands=(
        Command("start", start, announce=True),
        Command("help", help_, announce=True),
        Command("menu", menu),
        Command("lang", choose_language, announce=True, aliases=("language",)),
        Command("stop", stop, announce=True),
    ),
    buttons={"m": menu_pressed, "lang": set_language},
    menu=(MenuItem("lang", "menu.lang", choose_language, 60),),
    free_text=typed_language,
)
