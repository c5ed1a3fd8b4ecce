"""Outputs on a full or read-only filesystem: a small tmpfs mounted in a private mount namespace (root
only; nothing outside the test's process sees it).

A full disk half way through a report or an export is exit 2 with one line naming the file, every old
file left as it was and no temporary file behind; a read-only place is named before any work."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

from tests.helpers import REPO

PLAN = REPO / "plans" / "10gw-rollout.plan.yaml"
GWPLAN = f"{shlex.quote(sys.executable)} -m planner"


def _namespaces_available() -> str | None:
    if os.geteuid() != 0:
        return "needs root to mount a tmpfs in a private mount namespace"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return None if probe.returncode == 0 else f"unshare is not permitted here ({probe.stderr.decode().strip()})"


SKIP = _namespaces_available()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=SKIP or "")


def in_small_fs(tmp_path, size_kib: int, script: str, read_only: bool = False) -> subprocess.CompletedProcess:
    """Run `script` (sh) with $FS a fresh tmpfs of size_kib; the mount lives and dies with the script."""
    mount = tmp_path / "fs"
    mount.mkdir()
    remount = " && mkdir -p $FS/out && mount -o remount,ro $FS" if read_only else ""
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs -o size={size_kib}k tmpfs {shlex.quote(str(mount))}{remount} && {script}"],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, "FS": str(mount)}, timeout=300)


def test_a_report_that_fills_the_disk_leaves_the_old_report_whole(tmp_path):
    """The first report fits (~1.2 MB in 1.6 MB); the second needs the old files and its own at once: it
    stops at the full disk, and the old report is still the one in place, byte for byte."""
    script = (f"{GWPLAN} report {PLAN} -o $FS/r > /dev/null && cd $FS/r && sha256sum * > ../before.txt && "
              f"{GWPLAN} report {PLAN} -o $FS/r; echo exit=$?; sha256sum * | diff - ../before.txt && echo same; "
              "ls -A")
    run = in_small_fs(tmp_path, 1600, script)
    out = run.stdout
    assert "exit=2" in out, (out, run.stderr)
    assert "No space left on device" in run.stderr and "left as they were" in run.stderr
    assert "Traceback" not in run.stderr
    assert "same" in out  # every old file byte for byte
    listed = out.split("same", 1)[1].split()
    assert sorted(listed) == ["capacity.png", "index.html", "map.png", "spend.png", "timeline.png"]  # no temporary


def test_an_export_that_fills_the_disk_writes_nothing_and_says_so(tmp_path):
    script = (f"{GWPLAN} fabric --nodes 512 --gpus-per-node 4 --rails 4 --switch-radix 64 --port-gbps 800 "
              "--nodes-per-su 32 --format graphml cabling -o $FS/f; echo exit=$?; ls -A $FS/f")
    run = in_small_fs(tmp_path, 256, script)
    assert "exit=2" in run.stdout and "No space left on device" in run.stderr, (run.stdout, run.stderr)
    assert run.stdout.split("exit=2", 1)[1].split() == []  # nothing at all in the folder: no half file


def test_a_read_only_place_is_named_before_any_work(tmp_path):
    script = (f"{GWPLAN} fabric --nodes 64 --gpus-per-node 4 --rails 4 --switch-radix 64 --port-gbps 800 "
              f"--nodes-per-su 32 --format graphml -o $FS/out/f; echo exit=$?; "
              f"{GWPLAN} report {PLAN} -o $FS/out/r; echo exit=$?")
    run = in_small_fs(tmp_path, 64, script, read_only=True)
    assert run.stdout.split() == ["exit=2", "exit=2"], (run.stdout, run.stderr)
    assert run.stderr.count("(a read-only filesystem)") == 2 and "Traceback" not in run.stderr
