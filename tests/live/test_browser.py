"""``micrograd live``'s page in a real headless Chromium: click, watch, fail on a console error."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.conftest import HANG, MICROGRAD, Live, environment

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.chrome.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip(
        "needs Chromium and its driver (apt install chromium chromium-driver)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1400,1500",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(HANG)
    yield driver
    driver.quit()


@pytest.fixture
def page(live: Live, browser: WebDriver) -> Iterator[WebDriver]:
    """The page of a reset server, loaded and drawn; no console error by the end of the test."""
    live.request("POST", "api/reset")
    live.request("POST", "api/probe", {"x": 0, "y": 0, "label": 0})
    browser.get(live.url)
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#graph g.node")) > 50)
    yield browser
    assert console_errors(browser) == []


def console_errors(driver: WebDriver) -> list[dict[str, Any]]:
    log = driver.get_log("browser")  # type: ignore[no-untyped-call]  # selenium leaves it untyped
    return [entry for entry in log if entry["level"] == "SEVERE"]


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], object]) -> Any:
    """Wait for the page, failing only if it never gets there (a guard, not a timing)."""
    return WebDriverWait(driver, HANG, poll_frequency=0.05).until(condition)


def text(driver: WebDriver, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def graph_texts(driver: WebDriver, selector: str = "g.node") -> list[list[str]]:
    """Each node's lines (title, data, grad), in node order, whether panned into view or not."""
    script = (
        "return [...document.querySelectorAll('#graph ' + arguments[0])]"
        ".map(g => [...g.querySelectorAll('text')].map(t => t.textContent));"
    )
    return driver.execute_script(script, selector)  # type: ignore[no-any-return]


def root_data(driver: WebDriver) -> str:
    return graph_texts(driver)[-1][1]


def test_the_first_state_is_drawn(page: WebDriver, live: Live) -> None:
    state = live.state()
    assert text(page, "step-count") == "0"
    assert text(page, "train-loss") == "-"
    assert "MLP(2, [8, 3]) with tanh (51 parameters)" in text(page, "model-line")
    nodes = graph_texts(page)
    assert len(nodes) == len(state["graph"]["nodes"])
    titles = [lines[0] for lines in nodes]
    assert "tanh(builtin)" in titles
    assert "L0.N0.w0" in titles
    assert root_data(page) == f"data {state['graph']['nodes'][-1]['data']:.4f}"
    rows = page.find_elements(By.CSS_SELECTOR, "#params tr")
    assert len(rows) == 1 + 51
    header = [str(th.text) for th in rows[0].find_elements(By.TAG_NAME, "th")]
    assert header == ["parameter", "data", "grad", "update", "m", "sqrt(v)"]


def test_step_changes_the_counter_the_loss_and_the_graph(page: WebDriver, live: Live) -> None:
    before = graph_texts(page)
    page.find_element(By.ID, "btn-step").click()
    wait_for(page, lambda d: text(d, "step-count") == "1")
    state = live.state()
    assert state["step"] == 1
    assert text(page, "train-loss") == f"{state['losses'][0]['train']:.4f}"
    assert text(page, "val-loss") == f"{state['losses'][0]['val']:.4f}"
    after = graph_texts(page)
    assert after != before
    assert root_data(page) == f"data {state['graph']['nodes'][-1]['data']:.4f}"
    page.find_element(By.ID, "btn-step").click()
    wait_for(page, lambda d: text(d, "step-count") == "2")
    assert graph_texts(page) != after


def test_play_trains_until_pause(page: WebDriver, live: Live) -> None:
    page.find_element(By.ID, "btn-play").click()
    wait_for(page, lambda d: int(text(d, "step-count")) >= 3)
    page.find_element(By.ID, "btn-play").click()
    assert text(page, "btn-play") == "Play"
    # a step on its way when paused still lands; then nothing moves
    wait_for(page, lambda d: text(d, "step-count") == str(live.state()["step"]))
    stopped = live.state()["step"]
    page.find_element(By.ID, "btn-step").click()
    wait_for(page, lambda d: text(d, "step-count") == str(stopped + 1))


def test_clicking_the_plot_moves_the_probe(page: WebDriver, live: Live) -> None:
    before = root_data(page)
    canvas = page.find_element(By.ID, "regions")
    # the top left corner of the plot is (-2, 2): a quarter in from it is (-1, 1)
    width = canvas.size["width"]
    page.execute_script(
        "const c = arguments[0], r = c.getBoundingClientRect();"
        "c.dispatchEvent(new MouseEvent('click', {clientX: r.left + r.width / 4,"
        " clientY: r.top + r.height / 4, bubbles: true}));",
        canvas,
    )
    wait_for(page, lambda d: live.state()["probe"]["x"] != 0)
    probe = live.state()["probe"]
    assert probe["x"] == pytest.approx(-1, abs=4 / width + 1e-3)
    assert probe["y"] == pytest.approx(1, abs=4 / width + 1e-3)
    wait_for(page, lambda d: root_data(d) != before)
    inputs = {lines[0]: lines[1] for lines in graph_texts(page, "g.node.input")}
    assert inputs == {"x": f"data {probe['x']:.4f}", "y": f"data {probe['y']:.4f}"}


def test_typing_a_probe_and_a_learning_rate(page: WebDriver, live: Live) -> None:
    for element_id, value in (("probe-x", "0.25"), ("probe-y", "-1.5")):
        field = page.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(value)
    page.find_element(By.CSS_SELECTOR, "#probe-label option[value='2']").click()
    page.find_element(By.ID, "probe-set").click()
    wait_for(page, lambda d: live.state()["probe"]["label"] == 2)
    assert live.state()["probe"] == {
        "x": 0.25,
        "y": -1.5,
        "label": 2,
        "loss": pytest.approx(live.state()["graph"]["nodes"][-1]["data"]),
    }
    lr = page.find_element(By.ID, "lr")
    lr.clear()
    lr.send_keys("0.05")
    page.find_element(By.ID, "btn-step").click()
    wait_for(page, lambda d: text(d, "step-count") == "1")
    assert live.state()["lr"] == 0.05
    page.find_element(By.ID, "btn-reset").click()
    wait_for(page, lambda d: text(d, "train-loss") == "-")
    assert live.state()["step"] == 0
    live.request("POST", "api/step", {"lr": 0.1})


def test_the_graph_pans_and_zooms(page: WebDriver) -> None:
    graph = page.find_element(By.ID, "graph")

    def view_box() -> list[float]:
        box = page.execute_script("return arguments[0].getAttribute('viewBox')", graph)
        return [float(x) for x in str(box).split()]

    fitted = view_box()
    ActionChains(page).scroll_from_origin(ScrollOrigin.from_element(graph), 0, 200).perform()
    wait_for(page, lambda d: view_box() != fitted)
    zoomed = view_box()
    assert zoomed[2] > fitted[2]  # scrolling down zooms out
    ActionChains(page).move_to_element(graph).click_and_hold().move_by_offset(
        80, 30
    ).release().perform()
    panned = view_box()
    assert panned[0] < zoomed[0]  # dragged right: the view moves left
    assert panned[1] < zoomed[1]
    assert panned[2:] == zoomed[2:]
    page.find_element(By.ID, "graph-fit").click()
    assert view_box() == fitted


def test_an_exported_run_replays_without_a_server(browser: WebDriver, tmp_path: Path) -> None:
    path = tmp_path / "run.html"
    subprocess.run(
        [str(MICROGRAD), "live", "--export", str(path), "--steps", "5"],
        env=environment(),
        check=True,
        capture_output=True,
        timeout=HANG,
    )
    browser.get(path.as_uri())
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#graph g.node")) > 50)
    assert "a recorded run of 5 steps" in text(browser, "model-line")
    assert browser.find_element(By.ID, "probe-x").get_attribute("disabled") is not None
    before = graph_texts(browser)
    browser.find_element(By.ID, "btn-step").click()
    wait_for(browser, lambda d: text(d, "step-count") == "1")
    assert graph_texts(browser) != before
    assert text(browser, "train-loss") != "-"
    browser.find_element(By.ID, "btn-play").click()
    wait_for(browser, lambda d: text(d, "step-count") == "5")
    wait_for(browser, lambda d: text(d, "btn-play") == "Play")
    assert console_errors(browser) == []


def test_a_console_error_is_seen(page: WebDriver) -> None:
    """The check that every other test ends with can fail."""
    page.execute_script("console.error('on purpose')")
    errors = console_errors(page)
    assert len(errors) == 1
    assert "on purpose" in errors[0]["message"]
