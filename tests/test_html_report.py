"""`alvh report --html`: one self-contained page per run (simulator/report/html.py).

Fast: the page's structure (every image an inline data URI that decodes to a PNG, the summary
and trade tables present, nothing loaded from elsewhere). Slow: a real browser (headless
Chromium from the system packages) renders it: every image decoded, no horizontal overflow,
the summary table readable, and the screenshot not blank.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from simulator.cli import main
from simulator.results.cube import write_cube
from simulator.scenario.loader import parse_scenario
from simulator.scenario.runner import run_plan

DOC = """
name: html_test
description: a small cube for the HTML report tests
simulation: {paths: 40, days: 63, seed: 4, trade_log_paths: 2, keep_paths: 3}
scenarios:
  crash: {shocks: [{day: 25, spx_return: -0.1, vix: 60}]}
strategies:
  unhedged: {condor: {preset: monthly_16_delta}, hedge: none}
  alvh: {condor: {preset: monthly_16_delta}, hedge: {preset: alvh_40_40_20}}
"""


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.tables, self.links, self.scripts, self.headings = [], 0, [], 0, []
        self._heading = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        elif tag == "table":
            self.tables += 1
        elif tag == "script":
            self.scripts += 1
        elif tag in ("h2", "h3"):
            self._heading = ""
        for key in ("href", "src"):
            if key in attrs and tag != "img":
                self.links.append(attrs[key])

    def handle_data(self, data):
        if self._heading is not None:
            self._heading += data

    def handle_endtag(self, tag):
        if tag in ("h2", "h3") and self._heading is not None:
            self.headings.append(self._heading.strip())
            self._heading = None


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("html")
    results = write_cube(run_plan(parse_scenario(DOC)), folder / "run.nc")
    (folder / "claims.csv").write_text("claim,verdict\nC1,supported\n")
    assert main(["report", str(results), "--out", str(folder / "figs"), "--dpi", "60",
                 "--html"]) == 0
    return folder / "run_report.html"


def test_the_page_is_self_contained_and_has_every_part(page):
    text = page.read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(text)
    figures = sorted(p.name for p in (page.parent / "figs").iterdir())
    assert len(parsed.images) == len(figures) >= 6  # every figure, sampled paths included
    assert any("sampled_paths" in name for name in figures)
    for src in parsed.images:
        head, _, data = src.partition(",")
        assert head == "data:image/png;base64"
        assert base64.b64decode(data, validate=True)[:8] == b"\x89PNG\r\n\x1a\n"
    # nothing fetched from elsewhere: no links, scripts, style sheets or url(...) in the CSS
    assert parsed.links == [] and parsed.scripts == 0
    assert not re.search(r"url\(|@import|https?://", text.split("<body>")[0])
    assert not re.search(r'(src|href)="(?!data:)', text)
    for heading in ("Summary", "Claims", "Figures", "Trades", "Settings", "Costs",
                    "Model parameters", "Strategies"):
        assert heading in parsed.headings, heading
    assert parsed.tables >= 6  # summary (3), claims, trade statistics, blotter, settings
    assert "DD med" in text and "drag %/yr" in text and "C1" in text
    assert "take profit" in text or "exit DTE" in text  # the trade statistics by exit


def test_trades_export_as_parquet(page, tmp_path):
    pytest.importorskip("pyarrow")
    import pandas as pd

    out = tmp_path / "t.parquet"
    assert main(["export", str(page.parent / "run.nc"), "--per", "trades", "--format",
                 "parquet", "--out", str(out)]) == 0
    frame = pd.read_parquet(out)
    assert set(frame.path) == {0, 1} and {"instrument", "reason", "cash_flow"} <= set(frame)


CHECK = """<script>
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  const root = document.documentElement;
  const td = document.querySelector('td');
  const size = parseFloat(getComputedStyle(td).fontSize);
  document.body.setAttribute('data-check', JSON.stringify({images: imgs.length, broken,
    overflow: root.scrollWidth > root.clientWidth, font: size}));
});
</script>"""


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser") \
        or shutil.which("google-chrome")


@pytest.mark.slow
def test_a_real_browser_renders_the_page(page, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no headless Chromium (apt-get install chromium)")
    import json

    import numpy as np
    from PIL import Image

    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>"),
                     encoding="utf-8")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--window-size=1280,2400"]
    dom = subprocess.run([*flags, "--virtual-time-budget=10000", "--dump-dom",
                          probe.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'data-check="([^"]+)"', dom.stdout)
    assert found, dom.stderr[-2000:]
    check = json.loads(found.group(1).replace("&quot;", '"'))
    assert check["images"] >= 6 and check["broken"] == 0, check
    assert not check["overflow"], check  # nothing wider than the window
    assert check["font"] >= 10, check  # the tables are readable
    shot = tmp_path / "page.png"
    subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], capture_output=True,
                   timeout=120, check=True)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.std() > 10 and (pixels < 128).mean() > 0.01  # text and figures, not blank
