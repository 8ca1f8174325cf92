"""The ticket page in a real browser (Debian's headless Chromium)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from runtime import wiring
from runtime.local_host import LocalHost
from runtime.session import SAMPLES

pytestmark = pytest.mark.slow
HELPDESK = "helpdesk@example.org"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """Yield headless Chromium driven through chromedriver."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "scripts/test.sh installs chromium and chromedriver"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    yield chrome
    chrome.quit()


def deliver(host: LocalHost, *names: str) -> None:
    """Deliver sample files and wait for the pipeline."""
    mailbox = wiring.local_mailbox(wiring.settings())
    for name in names:
        mailbox.deliver(HELPDESK, (SAMPLES / name).read_bytes())
        assert host.wait_idle(60)


def test_a_ticket_shows_its_mail_thread(
    host: LocalHost, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """HELP-1 shows its summary, requester, fields and the threaded reply."""
    deliver(
        host, "01-vpn-outage-high-priority.eml", "03-reply-to-vpn-outlook-quote.eml"
    )
    browser.get(f"{host.url}/tracker/HELP-1")
    browser.save_screenshot(str(tmp_path / "ticket.png"))

    text = browser.find_element(By.TAG_NAME, "body").text
    assert "VPN gateway drops connections every few minutes" in text
    assert "ingrid.halvorsen@example.com" in text
    assert "rekey interval" in text
    assert "Sent: Wednesday" not in text
    assert "Network" in text


def test_the_list_links_to_each_ticket_and_images_load(
    host: LocalHost, browser: webdriver.Chrome
) -> None:
    """The list page links to the ticket; its inline image really loads."""
    deliver(host, "09-attachments-and-inline-image.eml")
    browser.get(f"{host.url}/tracker")
    browser.find_element(By.PARTIAL_LINK_TEXT, "HELP-1").click()

    assert browser.current_url.endswith("/tracker/HELP-1")
    images = browser.find_elements(By.TAG_NAME, "img")
    widths = [
        browser.execute_script("return arguments[0].naturalWidth", i) for i in images
    ]
    assert widths and all(width > 0 for width in widths)
    assert "failed-invoices.csv" in browser.find_element(By.TAG_NAME, "body").text
