"""Writing a file so that it is either the old one or the whole new one: a temporary file beside it,
renamed over it at the end (never written through a symlink planted at the path: the rename replaces
the link itself), and removed if anything fails or is interrupted half way."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


def temp_beside(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs):
    """open() for writing whose result appears at `path` only when the block finishes without error."""
    tmp = temp_beside(path)
    try:
        with open(tmp, mode, **kwargs) as handle:
            yield handle
        os.replace(tmp, path)
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
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
