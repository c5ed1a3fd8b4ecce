"""Output paths of the commands, checked before any work: an output that is an input, a directory where
a file goes (or a file where a directory goes), a place that cannot be written (read-only, no permission).
A bad -o then costs seconds, not a solve or a fabric build."""

from __future__ import annotations

from planner.cli.args import UsageError


def refuse_outputs_that_are_inputs(inputs, outputs) -> None:
    """An output that resolves to an input (or two outputs to one file) would destroy or mix files:
    a usage error (exit 2) before anything runs."""
    from pathlib import Path

    seen: dict[Path, str] = {}
    for role, path in [*(("input", p) for p in inputs if p), *(("output", p) for p in outputs if p)]:
        resolved = Path(path).resolve()
        if resolved in seen:
            raise UsageError(f"{path} is both the {seen[resolved]} and an {role}: choose another output file")
        seen[resolved] = role


def check_output_dir(directory) -> None:
    """An output directory can be made and written: not a file, under a directory (not a file), on a
    filesystem that takes writes. Checked before the work, so that a bad -o DIR costs nothing."""
    import os
    from pathlib import Path

    if directory is None:
        return
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file; expected a directory for the outputs")
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{path}: {ancestor} is a file, not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        why = "a read-only filesystem" if _read_only(ancestor) else "permission denied"
        raise UsageError(f"{path}: cannot write in {ancestor} ({why})")


def check_new_or_empty_dir(directory, flag: str) -> None:
    """An output directory as check_output_dir, which also holds nothing yet (numbered files from an earlier
    run would mix with this run's)."""
    if directory is None:
        return
    check_output_dir(directory)
    if directory.is_dir() and any(directory.iterdir()):
        raise UsageError(f"{directory} is not empty; {flag} needs a new or empty directory")


def files_in(directory, suffixes: tuple[str, ...]) -> list[str]:
    """The paths of the files in `directory` with one of `suffixes`, sorted (none if it does not exist)."""
    return sorted(str(f) for f in directory.glob("*") if f.suffix in suffixes) if directory.is_dir() else []


def _read_only(path) -> bool:
    import os

    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def check_writable(*paths) -> None:
    """Each output file can be written: not a directory, under a directory (not a file) where a file can be
    created. Checked before long work (a solve), so that a bad -o costs seconds, not the solve."""
    import tempfile
    from pathlib import Path

    for path in paths:
        if path is None:
            continue
        path = Path(path)
        if path.is_dir():
            raise UsageError(f"{path} is a directory; expected a file path")
        parent = path.parent
        ancestor = parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise UsageError(f"{path}: {ancestor} is a file, not a directory")
        try:
            parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=parent, prefix=".gwplan-probe-"):
                pass
        except OSError as err:
            raise UsageError(f"{path}: cannot write in {parent} ({err.strerror or err})") from None
