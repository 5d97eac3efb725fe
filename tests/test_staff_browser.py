"""The staff area in a real browser (Debian's Chromium through Playwright): sign in, add a session by uploading a
caption file, preview it, publish it, then find it with the public search. Also axe-core on the staff pages and
keyboard-only use of the sign-in form."""

from __future__ import annotations

import re

import pytest

from tests.support import browser
from tests.support.staffsite import EDITOR, PASSWORD, build_staff_site

pytestmark = [pytest.mark.browser, pytest.mark.backends]
browser_session = browser.browser_session

CAPTION_FILE = "manual_uw-it-accessibility-video_voice-tags.en.vtt"
QUOTE = "a much more pragmatic approach"


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser_session):
    staff_site = build_staff_site(tmp_path_factory.mktemp("staff-browser") / "data")
    with browser.serve(staff_site.settings) as base:
        yield base, staff_site


@pytest.fixture
def page(browser_session, site):
    context = browser_session.new_context(viewport=browser.DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def sign_in(page, base: str, name: str = EDITOR) -> None:
    page.goto(f"{base}/staff")
    page.wait_for_url(re.compile(r"/staff/signin\?next="))
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/staff")


def test_upload_preview_publish_then_find_it_in_public_search(page, site, corpus):
    base, _ = site
    sign_in(page, base)
    page.get_by_role("link", name="Add a session").first.click()
    page.get_by_label("Caption or transcript file").set_input_files(str(corpus / "captions" / CAPTION_FILE))
    page.get_by_label("Title").fill("Accessible IT in City Hall")
    page.get_by_label("Date").fill("2024-03-05")
    page.get_by_label("Event or series").fill("Spring Technology Webinar")
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url(re.compile(r"/staff/sessions/\d+\?notice=created"))
    session_id = int(re.search(r"/staff/sessions/(\d+)", page.url).group(1))
    assert "Draft (not public)" in page.locator(".status").inner_text()
    assert QUOTE in " ".join(page.locator(".staff-transcript").inner_text().split())  # the preview
    browser.screenshot(page, "staff-preview-desktop")

    public = page.context.new_page()
    assert public.goto(f"{base}/sessions/{session_id}").status == 404  # a draft is not public

    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"notice=published"))
    assert "Published" in page.locator(".status").inner_text()

    public.goto(f"{base}/search")
    public.click("#q")
    public.keyboard.type(f'"{QUOTE}"')
    public.keyboard.press("Enter")
    public.wait_for_url(re.compile(r"/search\?q="))
    first = public.locator("a.hit-time").first
    assert re.search(rf"/sessions/{session_id}\?t=\d+", first.get_attribute("href"))
    assert "Accessible IT in City Hall" in public.content()
    first.click()
    public.wait_for_url(re.compile(rf"/sessions/{session_id}\?t="))
    assert QUOTE in " ".join(public.locator("a.seg[aria-current='time']").inner_text().split())


def test_a_transcript_correction_from_the_browser_is_searchable_at_once(page, site):
    base, staff_site = site
    sign_in(page, base)
    page.goto(f"{base}/staff/sessions/{staff_site.published}")
    page.get_by_role("link", name=re.compile(r"Correct the line at 0:10")).click()
    page.get_by_label("Text").fill("Our aqueducts were built for a city half this size.")
    page.get_by_role("button", name="Save correction").click()
    page.wait_for_url(re.compile(r"notice=saved"))
    page.goto(f"{base}/search?q=aqueducts")
    assert page.locator("a.hit-time").count() == 1


def test_sign_in_works_from_the_keyboard_alone(page, site):
    base, _ = site
    page.goto(f"{base}/staff/signin")
    browser.focus_by_tab(page, "#f-name")
    page.keyboard.type(EDITOR)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/staff")
    browser.focus_by_tab(page, "a[href='/staff/sessions/new']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/staff/sessions/new")


@pytest.mark.parametrize(
    "path",
    ["/staff/signin", "/staff", "/staff/sessions", "/staff/sessions/{published}", "/staff/sessions/new"]
    + ["/staff/speakers", "/staff/bulk", "/staff/account"],
)
def test_axe_finds_no_accessibility_violations_on_staff_pages(page, site, path):
    from axe_playwright_python.sync_playwright import Axe

    base, staff_site = site
    if path != "/staff/signin":
        sign_in(page, base)
    page.goto(base + path.format(published=staff_site.published))
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_staff_pages_fit_a_phone(page, site):
    base, staff_site = site
    sign_in(page, base)
    page.set_viewport_size(browser.PHONE)
    for path in ["/staff", f"/staff/sessions/{staff_site.published}", "/staff/sessions/new"]:
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
    browser.screenshot(page, "staff-add-phone")
