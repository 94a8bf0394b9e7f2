"""The dashboard (数据看板) in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, installed by `make test-browser` where missing) drives the page served by the
local server, started as `make dev` starts it, after `loyalty demo seed` wrote 45 days of
history into its engine: a wrong key
is told, the tiles show the API's numbers, the charts draw, the locale switches, and a screenshot
is kept (`tests/artifacts/dashboard.png`) and checked not to be blank."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ENGINE
from tests.devserver import LOYALTY, Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
if os.environ.get("LOYALTY_BROWSER") != "1":
    pytest.skip("in a browser: make test-browser", allow_module_level=True)
if ENGINE != "dynamodb-local":  # `loyalty demo seed` reaches the server's engine over HTTP
    pytest.skip("on DynamoDB Local: make test-browser", allow_module_level=True)

from PIL import Image, ImageStat  # noqa: E402  (installed with the dev tools)
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as until  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "make test-browser installs chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1400,1800")
    session = webdriver.Chrome(service=Service(driver), options=options)
    yield session
    session.quit()


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path)
    yield running
    running.stop()


def _demo_history(server, data_dir: Path) -> None:
    """`loyalty demo seed` against the server's engine, as the README says to."""
    endpoint = next(
        m[1] for line in server.banner if (m := re.search(r"on (http://127\.0\.0\.1:\d+)", line))
    )
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LOYALTY_TABLE_NAME": "loyalty-dev",
        "LOYALTY_PII_KEY": (data_dir / "pii.key").read_text().strip(),
    }
    seeded = subprocess.run(
        [LOYALTY, "demo", "seed", "--members", "120", "--days", "45"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    assert "120 members" in seeded.stdout


def _drawn(browser, canvas_id: str) -> int:
    """How many pixels of the canvas something was drawn on."""
    return browser.execute_script(
        "const c = document.getElementById(arguments[0]);"
        "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n;",
        canvas_id,
    )


def test_the_dashboard_shows_the_apis_figures_and_draws_its_charts(server, browser, tmp_path):
    _demo_history(server, tmp_path)
    ran = server.call("POST", "/v1/admin/jobs/rfm", {"dry_run": False}, key="admin")
    assert ran.status_code == 200, ran.text
    figures = server.call("GET", "/v1/admin/kpis", key="admin").json()
    assert figures["periods"][-2]["active_ratio_7d"] is not None  # the seed kept the day ends
    rfm = server.call("GET", "/v1/admin/rfm", key="admin").json()
    wait = WebDriverWait(browser, 20)
    browser.get(server.url + "/dashboard")

    key = browser.find_element(By.ID, "key")
    key.send_keys(server.keys["storefront"])  # not the merchant's key
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    wait.until(until.text_to_be_present_in_element((By.ID, "message"), "管理员"))
    assert browser.find_element(By.ID, "board").is_displayed() is False

    key.clear()
    key.send_keys(server.keys["admin"])
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    wait.until(until.visibility_of_element_located((By.ID, "board")))

    def tile(name: str) -> str:
        return browser.find_element(By.CSS_SELECTOR, f'[data-tile="{name}"] .value').text

    assert tile("members") == str(figures["now"]["members"]) == "120"
    assert tile("orders") == str(figures["totals"]["orders"])
    assert figures["totals"]["orders"] > 100
    assert tile("sales") == f"{figures['totals']['sales'] / 100:,.2f}"
    assert tile("points_issued") == str(figures["totals"]["points_issued"])
    charts = ("chart-members", "chart-sales", "chart-points", "chart-ratios", "chart-tiers")
    for canvas in (*charts, "chart-segments"):
        assert _drawn(browser, canvas) > 500, canvas
    cells = browser.find_elements(By.CSS_SELECTOR, "#rfm td[data-cell]")
    assert len(cells) == 25
    assert sum(int(c.text) for c in cells) == sum(c["members"] for c in rfm["grid"]) > 0

    browser.find_element(By.ID, "who").send_keys("13000000007")  # a demo member's phone
    browser.find_element(By.CSS_SELECTOR, "#search button").click()
    wait.until(until.presence_of_element_located((By.CSS_SELECTOR, '[data-field="phone"]')))
    shown = browser.find_element(By.CSS_SELECTOR, '[data-field="phone"]').text
    assert "*" in shown and "13000000007" not in shown  # masked
    assert browser.find_element(By.CSS_SELECTOR, '[data-field="member_id"]').text.startswith("mem_")

    browser.find_element(By.ID, "locale").click()
    assert browser.find_element(By.CSS_SELECTOR, "header h1").text == "Loyalty dashboard"
    assert browser.find_element(By.CSS_SELECTOR, '[data-tile="members"] .label').text == "Members"
    labels = [dt.text for dt in browser.find_elements(By.CSS_SELECTOR, "#found dt")]
    assert labels[:3] == ["Member", "Phone", "Email"]  # the search's answer switches too

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    browser.save_screenshot(str(shot))
    image = Image.open(shot).convert("RGB")
    assert image.width >= 1000 and len(image.getcolors(maxcolors=1 << 20) or []) > 50
    assert max(ImageStat.Stat(image).stddev) > 10  # not one flat colour
