"""Telegram updates -> the neutral Inbound. The bot works in private chats only: anything from a
group, a channel or an edit is not for it (None)."""

from __future__ import annotations

from telegram import ChatMember, Update

from bot.channels.telegram.limits import CHANNEL
from handlers.messages import Inbound, InboundFile

PRIVATE = "private"


def event_id(update: Update, local_id: str) -> str:
    """The id the core de-duplicates on: message ids restart in a new bot's chat, so the bot's own
    id (the token's public first part) is part of it."""
    try:
        bot_id = update.get_bot().token.split(":", 1)[0]
    except RuntimeError:  # an Update built without a bot (tests)
        bot_id = "?"
    return f"{bot_id}:{local_id}"


def to_inbound(update: Update) -> Inbound | None:
    """The neutral form of an update, or None for updates the bot ignores."""
    if update.my_chat_member is not None:
        cm = update.my_chat_member
        if cm.chat.type != PRIVATE:
            return None
        status = cm.new_chat_member.status
        kind = "blocked" if status in (ChatMember.BANNED, ChatMember.LEFT) else "unblocked"
        return Inbound(channel=CHANNEL, user_id=str(cm.from_user.id), kind=kind)
    if update.callback_query is not None:
        q = update.callback_query
        # A button under a message in a group (or one we cannot place) is not answered: the bot
        # would talk into the group and act for whoever pressed it.
        if q.message is None or q.message.chat.type != PRIVATE:
            return None
        return Inbound(
            channel=CHANNEL,
            user_id=str(q.from_user.id),
            payload=q.data or "",
            display_name=q.from_user.first_name,
            language=q.from_user.language_code,
            kind="button",
            # A redelivered press carries the same query id.
            message_id=event_id(update, f"cq{q.id}"),
        )
    msg = update.message
    if msg is None or msg.from_user is None or msg.chat.type != PRIVATE:
        return None  # edited messages, channel posts, groups: not for this bot
    user = msg.from_user
    common = dict(
        channel=CHANNEL,
        user_id=str(user.id),
        display_name=user.first_name,
        language=user.language_code,
        message_id=event_id(update, f"m{msg.message_id}"),
    )
    # A photo or file with a caption: the caption is what the person wrote to the bot.
    text = msg.text if msg.text is not None else msg.caption
    quoted = msg.reply_to_message
    if quoted is not None and quoted.from_user is not None and quoted.from_user.is_bot:
        common["reply_to"] = quoted.text or quoted.caption
    common["file"] = _file(msg)
    if text is not None:
        return Inbound(text=text, **common)
    return Inbound(kind="unsupported", **common)


def _file(msg) -> InboundFile | None:  # noqa: ANN001 - a telegram.Message
    """The photo (its largest size) or document of a message, by Telegram's file_id."""
    if msg.photo:
        return InboundFile(CHANNEL, "photo", msg.photo[-1].file_id, None, "image/jpeg")
    doc = msg.document
    if doc is not None:
        return InboundFile(CHANNEL, "document", doc.file_id, doc.file_name, doc.mime_type)
    return None
