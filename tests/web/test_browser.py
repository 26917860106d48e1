"""The study page in a real browser (Debian's chromium driven by selenium): a participant
reads the instructions, answers practice and test trials by clicking and by keyboard, and
the answers are in the database; the results page draws its chart; the colorize page
round-trips a photo. Skipped where Chromium or chromedriver is not on PATH, failed so under
CI=true (chromium.py)."""

from __future__ import annotations

import sqlite3

import chromium
import fake_study
import numpy as np
import pytest
import support
from PIL import Image

pytestmark = chromium.MARKS
webdriver = support.require_module("selenium.webdriver", "selenium is not installed")
support.require_module("uvicorn", "the [web] extra is not installed")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path):
    yield from chromium.driver(str(tmp_path / "chromium-profile"))


def _wait(driver, condition, timeout: float = 20):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def _visible(driver, element_id: str) -> bool:
    return driver.find_element(By.ID, element_id).is_displayed()


def _wait_for_trial(driver, index: int, total: int) -> None:
    """Until trial ``index`` is shown and can be answered."""
    def ready(d):
        if d.find_element(By.ID, "progress").text != f"{index} / {total}":
            return False
        buttons = [b for b in d.find_elements(By.CSS_SELECTOR, "button.answer")
                   if b.is_displayed()]
        return buttons and all(b.is_enabled() for b in buttons)
    _wait(driver, ready)


def _key(driver, key: str) -> None:
    driver.find_element(By.TAG_NAME, "body").send_keys(key)


def _stored(database: str) -> list[tuple[int, int, str]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT t.position, t.practice, a.answer FROM answers a "
                          "JOIN trials t ON t.id = a.trial_id ORDER BY t.position").fetchall()


def test_single_mode_by_clicking_and_keyboard(server_process, browser):
    server = server_process(trials=4, practice_trials=2, attention_checks=0.25)
    browser.get(server.url + "/")
    _wait(browser, lambda d: _visible(d, "start"))
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "real photo" in page and "recorded anonymously" in page
    assert _visible(browser, "keys-single") and not _visible(browser, "keys-pair")
    browser.find_element(By.ID, "start").click()

    # practice 1: click, feedback, click Continue
    _wait_for_trial(browser, 1, 6)
    assert _visible(browser, "practice-badge")
    browser.find_element(By.ID, "answer-real").click()
    _wait(browser, lambda d: _visible(d, "feedback"))
    assert browser.find_element(By.ID, "feedback-text").text.split(":")[0] in (
        "Correct", "Not quite")
    browser.find_element(By.ID, "continue").click()
    # practice 2: keyboard, feedback, Enter
    _wait_for_trial(browser, 2, 6)
    _key(browser, "c")
    _wait(browser, lambda d: _visible(d, "feedback"))
    _key(browser, Keys.ENTER)
    # test trials: no feedback; click, key, click, key
    sent = ["real", "colorized"]
    for index, (how, answer) in enumerate([("click", "colorized"), ("key", "r"),
                                           ("click", "real"), ("key", "c")], start=3):
        _wait_for_trial(browser, index, 6)
        assert not _visible(browser, "practice-badge")
        if how == "click":
            browser.find_element(By.ID, f"answer-{answer}").click()
            sent.append(answer)
        else:
            _key(browser, answer)
            sent.append({"r": "real", "c": "colorized"}[answer])
        assert not _visible(browser, "feedback")
    _wait(browser, lambda d: _visible(d, "done"))
    assert _stored(server.database) == [(i, int(i < 2), a) for i, a in enumerate(sent)]

    browser.get(server.url + "/results")  # without the token: nothing
    assert "token" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(server.url + "/results?token=" + fake_study.ADMIN_TOKEN)
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#table tbody tr")) >= 2)
    assert browser.current_url == server.url + "/results"  # the token left the address
    assert browser.find_elements(By.CSS_SELECTOR, "#chart svg g.bar")
    assert "1 participants, 6 answers" in browser.find_element(By.ID, "summary").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#table-all tbody tr")) >= 2
    assert "Excluded by rule" in browser.find_element(By.ID, "exclusions").text


def test_a_prolific_participant_gets_the_completion_code(server_process, browser):
    server = server_process(trials=2, practice_trials=0, attention_checks=0.0,
                            completion_code="C0DE-7781",
                            completion_url="https://app.prolific.com/submissions/complete")
    query = "?PROLIFIC_PID=5f1a2b3c4d5e6f7a8b9c0d1e&STUDY_ID=st-1&SESSION_ID=se-2"
    browser.get(server.url + "/" + query)
    _wait(browser, lambda d: _visible(d, "start"))
    browser.find_element(By.ID, "start").click()
    _wait_for_trial(browser, 1, 2)
    browser.find_element(By.ID, "answer-real").click()
    _wait_for_trial(browser, 2, 2)
    browser.refresh()  # a reload (or a second visit) resumes the same session
    _wait(browser, lambda d: _visible(d, "start"))
    browser.find_element(By.ID, "start").click()
    _wait_for_trial(browser, 2, 2)
    _key(browser, "c")
    _wait(browser, lambda d: _visible(d, "done"))
    assert browser.find_element(By.ID, "completion-code").text == "C0DE-7781"
    link = browser.find_element(By.ID, "completion-link")
    assert link.is_displayed()
    assert link.get_attribute("href") == "https://app.prolific.com/submissions/complete"
    with sqlite3.connect(server.database) as db:
        rows = db.execute("SELECT external_id, external FROM participants").fetchall()
    assert [row[0] for row in rows] == ["5f1a2b3c4d5e6f7a8b9c0d1e"]
    assert '"STUDY_ID": "st-1"' in rows[0][1]
    assert [row[2] for row in _stored(server.database)] == ["real", "colorized"]
    assert all(ms is not None and ms >= 0 for ms in _response_times(server.database))


def _response_times(database: str) -> list:
    with sqlite3.connect(database) as db:
        return [row[0] for row in db.execute("SELECT response_ms FROM answers")]


def test_pair_mode_hides_images_after_display_ms(server_process, browser):
    server = server_process(mode="pair", trials=2, practice_trials=1, attention_checks=0.0,
                            display_ms=400)
    browser.get(server.url + "/")
    _wait(browser, lambda d: _visible(d, "start"))
    assert _visible(browser, "keys-pair") and _visible(browser, "timing-note")
    _key(browser, Keys.ENTER)  # Start by keyboard
    _wait_for_trial(browser, 1, 3)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#images img")) == 2
    _wait(browser, lambda d: _visible(d, "hidden-note"), timeout=5)
    styles = [img.value_of_css_property("visibility")
              for img in browser.find_elements(By.CSS_SELECTOR, "#images img")]
    assert styles == ["hidden", "hidden"]
    _key(browser, Keys.ARROW_LEFT)  # answering stays possible after hiding
    _wait(browser, lambda d: _visible(d, "feedback"))
    browser.find_element(By.ID, "continue").click()
    _wait_for_trial(browser, 2, 3)
    browser.find_element(By.ID, "answer-1").click()
    _wait_for_trial(browser, 3, 3)
    _key(browser, "1")
    _wait(browser, lambda d: _visible(d, "done"))
    assert _stored(server.database) == [(0, 1, "0"), (1, 0, "1"), (2, 0, "0")]


def test_colorize_page_round_trip(server_process, browser, tmp_path):
    server = server_process()
    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (50, 70, 3), np.uint8)).save(photo)
    browser.get(server.url + "/colorize")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#run option")) == 2)
    browser.find_element(By.ID, "file").send_keys(str(photo))  # colorized at once
    _wait(browser, lambda d: d.find_element(By.ID, "status").text == "Done (0 hints).")
    assert "reads no hints" in browser.find_element(By.ID, "help").text
    _wait(browser, lambda d: d.execute_script(
        "return document.getElementById('after').naturalWidth") > 0)
    assert browser.execute_script(
        "const i = document.getElementById('after'); return [i.naturalWidth, i.naturalHeight];"
    ) == [70, 50]
