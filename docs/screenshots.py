"""Take the README's screenshots from a running demo (`python3 manage.py demo`).

Usage: .venv/bin/python docs/screenshots.py [http://127.0.0.1:8000]
Drives Debian's Chromium through Playwright, as the browser tests do.
"""
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
OUT = Path(__file__).resolve().parent / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def log_in(page, email: str) -> None:
    page.goto(f"{BASE}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", "courseproj-demo")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{BASE}/**")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        teacher = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
        log_in(teacher, "instructor@example.com")
        teacher.get_by_role("link", name=re.compile("Day 9")).first.click()
        teacher.wait_for_load_state("networkidle")
        course_url = teacher.url.rstrip("/")
        teacher.screenshot(path=OUT / "course.png")
        teacher.goto(f"{course_url}/datasets/")
        teacher.get_by_role("link", name="Palmer penguins").first.click()
        teacher.get_by_role("link", name=re.compile("profile", re.I)).first.click()
        teacher.wait_for_load_state("networkidle")
        teacher.screenshot(path=OUT / "report.png", full_page=True)
        teacher.goto(f"{course_url}/matching/")
        teacher.get_by_role("button", name=re.compile("un the matcher")).click()
        teacher.screenshot(path=OUT / "matching.png", full_page=True)
        teacher.goto(f"{course_url}/dashboard/")
        teacher.screenshot(path=OUT / "dashboard.png")
        teacher.goto(f"{course_url}/activity/")
        display = teacher.locator("code").first.inner_text()
        projector = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        projector.goto(display)
        projector.screenshot(path=OUT / "projector.png")
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
        log_in(phone, "student01@example.com")
        phone.goto(f"{course_url}/interests/")
        phone.screenshot(path=OUT / "phone-ranking.png")
        browser.close()
    print(f"Screenshots in {OUT}")


if __name__ == "__main__":
    main()
