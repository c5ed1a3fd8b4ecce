"""Writing a file so that it is either the old one or the whole new one: a temporary file beside it,
renamed over it at the end (never written through a symlink planted at the path: the rename replaces
the link itself), and removed if anything fails or is interrupted half way.

An output *set* (the files of one export or one report) is made the same way: inside `output_set()`,
every file is written to its temporary name and the renames wait until the whole set is written, so an
interruption or a full disk half way leaves every old file in place and no temporary behind. (Only the
renames themselves, microseconds for the whole set, could be cut between two files.) While a set is
open, `staged(path)` is where a file written in it can be read back.
"""

from __future__ import annotations

import contextvars
import os
from contextlib import contextmanager
from pathlib import Path

# the open output set: (temporary file, or None to delete, final path) in the order written
_pending: contextvars.ContextVar[list | None] = contextvars.ContextVar("gwplan_output_set", default=None)


def temp_beside(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def commit(tmp: Path, path: str | os.PathLike) -> None:
    """Rename a fully written temporary file over `path`, or hold it for the open output set."""
    pending = _pending.get()
    if pending is None:
        os.replace(tmp, path)
    else:
        pending.append((tmp, Path(path)))


@contextmanager
def output_set():
    """Files written by atomic_open / atomic_path / planner.files.write_text_atomic inside the block appear
    together when it finishes without error; on an error none of them replaces anything."""
    if _pending.get() is not None:  # nested: part of the enclosing set
        yield
        return
    pending: list[tuple[Path, Path]] = []
    token = _pending.set(pending)
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        raise
    finally:
        _pending.reset(token)
    for tmp, path in pending:
        if tmp is None:
            path.unlink(missing_ok=True)
        else:
            os.replace(tmp, path)


def remove(path: str | os.PathLike) -> None:
    """Delete a file now, or with the rest of the open output set (an interrupted set deletes nothing)."""
    pending = _pending.get()
    if pending is None:
        Path(path).unlink(missing_ok=True)
    else:
        pending.append((None, Path(path)))


def staged(path: str | os.PathLike) -> Path:
    """Where the newest content of `path` is: its temporary file while an output set holds it back."""
    for tmp, final in reversed(_pending.get() or []):
        if final == Path(path) and tmp is not None:
            return tmp
    return Path(path)


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs):
    """open() for writing whose result appears at `path` only when the block finishes without error."""
    tmp = temp_beside(path)
    try:
        with open(tmp, mode, **kwargs) as handle:
            yield handle
        commit(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(path: str | os.PathLike):
    """A temporary path for writers that take a file name (a workbook, a chart); renamed over `path` when
    the block finishes without error."""
    tmp = temp_beside(path)
    try:
        yield tmp
        commit(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
