"""What one recipient of a broadcast gets: its text, with its photo or document.

The file comes one of two ways. Composed in chat, it is the file the officer sent, kept as the
platform's own reference (`attachment` = "<channel>-file:<file_id>", e.g. Telegram's file_id):
sent by reference to everyone on that channel, so it is uploaded once (by the officer) and never
again; recipients on another channel get the text alone (the preview says so). Given on the
command line (`sxsh-bot broadcast create --photo PATH`), it is a path read at each send."""

from __future__ import annotations

from pathlib import Path

from handlers.messages import Attachment, InboundFile, Reply
from storage.broadcasts_models import Broadcast

MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"}
MARK = "-file:"  # between the channel and the platform's file id


def reference(file: InboundFile) -> str:
    """How a file sent in chat is stored on the broadcast (at most 512 characters)."""
    return f"{file.channel}{MARK}{file.file_id}"[:512]


def chat_file(row: Broadcast) -> tuple[str, str] | None:
    """(channel, file id) of a file sent in chat, or None (no file, or a path)."""
    head, mark, file_id = (row.attachment or "").partition(MARK)
    if not mark or not head.replace("_", "").isalnum():
        return None
    return head, file_id


def copy_of(row: Broadcast, channel: str) -> Reply | None:
    """The copy for a recipient on `channel`; None when nothing of it can go there (a file
    from another platform and no text)."""
    image = row.attachment_kind == "photo"
    attachment = None
    held = chat_file(row)
    if held is not None:
        own, file_id = held
        if own == channel:
            mime = "image/jpeg" if image else "application/octet-stream"
            attachment = Attachment("", b"", mime, is_image=image, file_id=file_id,
                                    file_channel=own)  # fmt: skip
    elif row.attachment:  # a file an officer gave on the command line, read at each send
        path = Path(row.attachment)
        mime = MIME.get(path.suffix.lower(), "application/octet-stream")
        attachment = Attachment(path.name, path.read_bytes(), mime, is_image=image)
    if attachment is None and not row.text:
        return None
    return Reply(text=row.text, attachment=attachment)
