"""The HTML report in a real browser: headless Chromium (Debian package, installed with apt-get when
missing) opens the page on its own, from disk, and takes a screenshot; the charts must be drawn."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from planner.cli import main
from tests.helpers import REPO

PLAN = REPO / "plans" / "10gw-rollout.plan.yaml"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("chromium")
    return found


@pytest.fixture(scope="module")
def screenshot(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert main(["-q", "report", str(PLAN), "-o", str(out / "full")]) == 0
    alone = out / "sent"
    alone.mkdir()
    shutil.copy(out / "full" / "index.html", alone / "index.html")  # the page alone, as forwarded
    png = out / "page.png"
    run = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          f"--screenshot={png}", "--window-size=1280,5200", "--virtual-time-budget=5000",
                          (alone / "index.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and png.exists(), run.stderr[-2000:]
    return png


def test_the_page_renders_with_its_charts_when_sent_alone(screenshot):
    import matplotlib.image
    import numpy as np

    image = matplotlib.image.imread(screenshot)[:, :, :3]
    height, width = image.shape[:2]
    assert (width, height) == (1280, 5200)
    # the charts are coloured (bars, lines, campuses on the map); a page with broken images is text on white
    saturation = image.max(axis=2) - image.min(axis=2)
    coloured_rows = (saturation > 0.25).any(axis=1)
    assert coloured_rows.sum() > 1200, coloured_rows.sum()  # four charts of ~400+ px each carry colour
    assert np.mean(image < 0.5) > 0.005  # and there is text
