"""The preview page in a real browser (headless Chromium through Selenium): a slider move changes the
shown frame, a keyframe lands on the timeline and in the exported spec."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _fixtures_preview import face_clip, models, served, session  # noqa: F401

from vidinvert.edit.spec import load_spec

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 120

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extra brings it)")
if not (Path(CHROMIUM).is_file() or shutil.which("chromium")) or not Path(CHROMEDRIVER).is_file():
    pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)",
                allow_module_level=True)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture()
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


def shown(driver) -> str:
    return driver.find_element(By.ID, "frame").get_attribute("src") or ""


def settled(driver, renders: int):
    """Wait until the page has finished more than `renders` frame requests and none is on its way."""
    def done(d):
        body = d.find_element(By.TAG_NAME, "body")
        return int(body.get_attribute("data-renders") or 0) > renders and body.get_attribute("data-busy") == "0"
    WebDriverWait(driver, WAIT).until(done)
    return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-renders"))


def test_slider_keyframe_and_export_in_the_browser(browser, served):
    browser.get(served.url)
    renders = settled(browser, 0)
    before = shown(browser)
    assert before.startswith("data:image/jpeg;base64,")
    assert browser.find_element(By.ID, "error").get_attribute("hidden") is not None

    slider = browser.find_element(By.ID, "dir-smile_labels")
    for _ in range(20):
        slider.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "dir-smile_labels-value").text == "2.0")
    renders = settled(browser, renders)
    WebDriverWait(browser, WAIT).until(lambda d: shown(d) != before)

    scrub = browser.find_element(By.ID, "scrub")
    for _ in range(3):
        scrub.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "frame-label").text.startswith("frame 3"))
    browser.find_element(By.ID, "dir-smile_labels-key").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .key[data-frame='3']"))
    renders = settled(browser, renders)

    target = served.state.session.source.parent / "browser.edit.json"
    target.unlink(missing_ok=True)
    path = browser.find_element(By.ID, "spec-path")
    path.clear()
    path.send_keys(target.name)
    browser.find_element(By.ID, "export").click()
    WebDriverWait(browser, WAIT).until(lambda d: "vidinvert edit" in d.find_element(By.ID, "command").text)
    assert str(target) in browser.find_element(By.ID, "command").text
    assert load_spec(target).faces["0"].attr == {"smile_labels": "0.3s:2"}

    browser.find_element(By.ID, "view").send_keys("side by side")
    settled(browser, renders)
    assert shown(browser).startswith("data:image/jpeg;base64,")


def test_a_wrong_request_shows_one_line_in_the_error_bar(browser, served):
    browser.get(served.url)
    settled(browser, 0)
    browser.execute_script("edits.strengths['no_such'] = 1; refresh();")
    bar = WebDriverWait(browser, WAIT).until(
        lambda d: d.find_element(By.ID, "error") if d.find_element(By.ID, "error").text else False)
    assert bar.text.startswith("unknown direction(s) no_such") and "\n" not in bar.text
