"""The studio in a real browser: Debian's chromium, headless, driven by Playwright.

Submits a prompt, sees live progress, plays the finished video and checks its provenance line;
saves a screenshot to docs/studio.png. Skipped cleanly without playwright or /usr/bin/chromium.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from serve_helpers import running_server, tiny_checkpoint, tiny_generator_factory

from tenku.serve import ServerConfig

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "studio.png"


def test_studio_submits_shows_progress_and_plays(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from tenku.provenance import ProvenanceConfig

    checkpoint = tiny_checkpoint(tmp_path)
    config = ServerConfig(data_dir=tmp_path / "data", safety=False)
    provenance = ProvenanceConfig(identity_dir=str(tmp_path / "identity"))
    factory = tiny_generator_factory(checkpoint)
    with running_server(config, generator_factory=factory, provenance=provenance) as (url, _):
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 760})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url + "/")
            page.wait_for_selector("#durations button")  # the models route answered
            page.fill("#prompt", "a red ball bounces across a blue room")
            page.select_option("#style", "watercolor")
            page.click("#submit")
            card = page.locator(".card").first
            card.wait_for()
            # live progress: the card shows queued/in_progress with a percentage before it completes
            page.wait_for_function(
                "() => { const c = document.querySelector('.card');"
                " return c && /(queued|in_progress) \\d+%/.test(c.querySelector('.meta').textContent); }",
                timeout=30_000,
            )
            page.wait_for_selector(".card[data-status=completed] video", timeout=120_000)
            played = page.evaluate(
                """async () => {
                    const v = document.querySelector('.card video');
                    await v.play();
                    await new Promise((r) => setTimeout(r, 700));
                    return {time: v.currentTime, ready: v.readyState, width: v.videoWidth, error: v.error && v.error.code};
                }"""
            )
            assert played["error"] is None and played["ready"] >= 2 and played["width"] > 0, played
            assert played["time"] > 0, played
            page.wait_for_selector(".provenance.verified", timeout=30_000)
            assert "made by tenku" in page.locator(".card .provenance").first.text_content()
            assert "watercolor" in page.locator(".card .prompt").first.text_content()
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(SCREENSHOT))
            browser.close()
            assert errors == []
    assert SCREENSHOT.stat().st_size > 10_000
