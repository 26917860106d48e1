"""The colorize editor in a real browser (Debian's chromium driven by selenium, as
test_browser.py) against the real server (``python -m colorization_tf.web
--colorize_page``, no run: ``optimization``): upload a photo with a strong vertical edge,
click a point on each side with two colours, and the returned full-resolution PNG has
each point's colour on its side of the edge; a second click on a point removes it, undo
brings it back, a drag paints a stroke. Over runs: suggestions of a learned-hints run; the
page opens on a method that reads hints and, after a click under a run that reads none,
says so and offers to switch."""

from __future__ import annotations

import base64
import contextlib

import chromium
import numpy as np
import pytest
import support

pytestmark = chromium.MARKS
webdriver = support.require_module("selenium.webdriver", "selenium is not installed")
support.require_module("uvicorn", "the [web] extra is not installed")
support.require_module("skimage")

from edge_photo import BLUE, RED, ab_of_hex, ab_of_png, check_regions, photo  # noqa: E402
from PIL import Image  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from server_process import EditorProcess  # noqa: E402

# larger than the optimization's default 256 px grid: solved at 256 x 160, upsampled
WIDTH, HEIGHT, EDGE = 320, 200, 160


@pytest.fixture
def browser(tmp_path):
    yield from chromium.driver(str(tmp_path / "chromium-profile"))


@pytest.fixture
def editor(tmp_path):
    server = EditorProcess(str(tmp_path / "editor")).start()
    yield server
    server.stop()


def _wait(driver, condition, timeout: float = 120):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def _status(driver) -> str:
    return driver.find_element(By.ID, "status").text


def _offset(driver, x: float, y: float) -> tuple[int, int]:
    """Selenium's offset (from the overlay's centre, CSS px) of photo pixel (x, y)."""
    width, height = driver.execute_script(
        "const r = document.getElementById('overlay').getBoundingClientRect();"
        "return [r.width, r.height];")
    return (round((x + 0.5) * width / WIDTH - width / 2),
            round((y + 0.5) * height / HEIGHT - height / 2))


def _click(driver, x: float, y: float, colour: str | None = None) -> None:
    if colour is not None:
        driver.execute_script("const c = document.getElementById('color');"
                              "c.value = arguments[0];"
                              "c.dispatchEvent(new Event('input'));", colour)
    overlay = driver.find_element(By.ID, "overlay")
    ActionChains(driver).move_to_element_with_offset(overlay, *_offset(driver, x, y)) \
        .click().perform()


def _result(driver) -> bytes:
    """The PNG behind the download link (what the user saves)."""
    encoded = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(document.getElementById('download').href).then(r => r.arrayBuffer())"
        ".then(b => { let s = ''; for (const v of new Uint8Array(b)) {"
        "  s += String.fromCharCode(v); } done(btoa(s)); });")
    return base64.b64decode(encoded)


def test_two_points_across_an_edge(editor, browser, tmp_path):
    path = tmp_path / "edge.png"
    Image.fromarray(photo(WIDTH, HEIGHT, EDGE)).save(path)
    browser.set_script_timeout(60)
    browser.get(editor.url + "/colorize")
    _wait(browser, lambda d: [o.text for o in d.find_elements(By.CSS_SELECTOR, "#run option")]
          == ["optimization"])
    browser.find_element(By.ID, "file").send_keys(str(path))
    _wait(browser, lambda d: _status(d) == "Done (0 hints).")
    _click(browser, 80, 100, RED)
    _click(browser, 240, 100, BLUE)
    _wait(browser, lambda d: _status(d) == "Done (2 hints).")
    result = _result(browser)
    ab = ab_of_png(result)
    assert ab.shape == (HEIGHT, WIDTH, 2)  # the full-resolution PNG
    check_regions(ab, EDGE, RED, BLUE, margin=2)

    # a second click on the red point selects it; Remove leaves the blue one everywhere
    _click(browser, 80, 100)
    _wait(browser, lambda d: d.find_element(By.ID, "selected").is_displayed())
    assert browser.find_element(By.ID, "point-color").get_attribute("value") == RED
    browser.find_element(By.ID, "remove").click()
    _wait(browser, lambda d: _status(d) == "Done (1 hint).")
    ab = ab_of_png(_result(browser))
    assert np.linalg.norm(ab[100, 80] - ab_of_hex(BLUE)) < 25  # blue leaks over the edge
    browser.find_element(By.ID, "undo").click()  # the red point is back
    _wait(browser, lambda d: _status(d) == "Done (2 hints).")
    check_regions(ab_of_png(_result(browser)), EDGE, RED, BLUE, margin=2)

    # a drag paints a blue stroke on the dark side: it turns blue around the stroke
    overlay = browser.find_element(By.ID, "overlay")
    start = _offset(browser, 20, 30)
    ActionChains(browser).move_to_element_with_offset(overlay, *start).click_and_hold() \
        .move_by_offset(60, 0).move_by_offset(40, 0).release().perform()
    _wait(browser, lambda d: _status(d) == "Done (3 hints).")
    ab = ab_of_png(_result(browser))
    assert np.linalg.norm(ab[30, 60] - ab_of_hex(BLUE)) < 8


@contextlib.contextmanager
def _served(browser, tmp_path, name: str, preset: str):
    """An editor process over an untrained ``preset`` run named ``name``, open in
    ``browser`` (its menu listing the run, then optimization); yields the edge photo's
    path."""
    from untrained_run import untrained_run

    run = untrained_run(str(tmp_path / name), preset)
    server = EditorProcess(str(tmp_path / "editor"), run_dirs=[run]).start()
    try:
        path = tmp_path / "edge.png"
        Image.fromarray(photo(WIDTH, HEIGHT, EDGE)).save(path)
        browser.get(server.url + "/colorize")
        _wait(browser, lambda d: [o.get_attribute("value") for o in d.find_elements(
            By.CSS_SELECTOR, "#run option")] == [name, "optimization"])
        yield path
    finally:
        server.stop()


def test_a_learned_hints_run_suggests_colours_at_a_new_point(browser, tmp_path):
    """An untrained tiny unet_hints run: a new point offers the run's colour at that pixel
    as a swatch; picking it recolours the point and the photo is colorized again."""
    with _served(browser, tmp_path, "hints", "unet_hints") as path:
        browser.find_element(By.ID, "file").send_keys(str(path))
        _wait(browser, lambda d: _status(d) == "Done (0 hints).")
        _click(browser, 80, 100, RED)
        _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#suggestions .swatch"))
        swatch = browser.find_element(By.CSS_SELECTOR, "#suggestions .swatch")
        suggested = swatch.get_attribute("title")
        assert suggested.startswith("#") and len(suggested) == 7
        swatch.click()
        assert browser.find_element(By.ID, "point-color").get_attribute("value") == suggested
        _wait(browser, lambda d: _status(d) == "Done (1 hint).")
        assert browser.find_element(By.ID, "undo").is_enabled()


def test_the_editor_opens_on_a_hint_method_and_offers_one_after_a_click_on_a_plain_run(
        browser, tmp_path):
    """A plain run listed first: the page still opens on ``optimization`` (a method that
    reads hints); under the plain run a click says the run reads no hints and offers to
    switch, and after the switch the next click is a hint."""
    with _served(browser, tmp_path, "plain", "unet_l1") as path:
        run_menu = browser.find_element(By.ID, "run")
        assert run_menu.get_attribute("value") == "optimization"
        browser.execute_script("const r = document.getElementById('run');"
                               "r.value = 'plain'; r.dispatchEvent(new Event('change'));")
        browser.find_element(By.ID, "file").send_keys(str(path))
        _wait(browser, lambda d: _status(d) == "Done (0 hints).")
        notice = browser.find_element(By.ID, "no-hints")
        assert not notice.is_displayed()
        _click(browser, 80, 100, RED)
        _wait(browser, lambda d: d.find_element(By.ID, "no-hints").is_displayed())
        assert "plain reads no hints" in notice.text
        switch = browser.find_element(By.ID, "switch")
        assert switch.text == "Switch to optimization"
        switch.click()
        assert run_menu.get_attribute("value") == "optimization"
        assert not notice.is_displayed()
        _click(browser, 80, 100, RED)
        _wait(browser, lambda d: _status(d) == "Done (1 hint).")
