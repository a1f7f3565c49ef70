"""Files officers receive: checked before any work, written atomically (a failure never leaves
half a file)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class CannotWrite(OSError):
    """The file cannot be written (a folder that refuses files, a full disk); `filename` is the
    file meant, `strerror` why. Nothing was left behind."""


def unwritable(path: Path) -> str | None:
    """Why `path` cannot be written, in one line, or None (checked before any work)."""
    path = Path(path)
    if path.is_dir():
        return f"{path} is a folder, not a file"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f"cannot write {path}: folder {parent} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write {path}: no permission to write in {parent}"
    if path.exists() and not os.access(path, os.W_OK):
        return f"cannot write {path}: the file is read-only"
    return None


@contextmanager
def atomic(path: Path, suffix: str) -> Iterator[Path]:
    """Write beside `path` and rename at the end: a failure never leaves a half file."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent or ".")
    except OSError as exc:  # checked before, yet refused (/proc, a read-only mount)
        raise CannotWrite(exc.errno, exc.strerror or str(exc), str(path)) from exc
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CannotWrite(exc.errno, exc.strerror or str(exc), str(path)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
