"""The throwaway Nautobot's one-time setup is made by one test process at a time: two servers starting at once on
a fresh machine would otherwise run apt-get side by side (dpkg's lock fails the second) and write the same
virtualenv and database dump."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.helpers import REPO


def test_one_time_setup_lets_one_process_in_at_a_time(tmp_path):
    holder = textwrap.dedent("""
        import time
        from tests.nautobot_server import one_time_setup
        with one_time_setup():
            print("in", flush=True)
            time.sleep(1.0)
            print(f"out {time.time()}", flush=True)
    """)
    env = {**os.environ, "GWPLAN_CACHE": str(tmp_path)}
    child = subprocess.Popen([sys.executable, "-c", holder], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "in"
        script = ("import time\nfrom tests.nautobot_server import one_time_setup\n"
                  "with one_time_setup():\n    print(time.time())\n")
        entered = float(subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True,
                                       text=True, check=True, timeout=60).stdout)
        left = float(child.stdout.readline().split()[1])
    finally:
        child.wait(timeout=60)
    assert entered >= left  # the second process waited for the first to leave
    assert (tmp_path / "setup.lock").exists()
