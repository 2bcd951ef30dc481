"""What the browser tests do the same way: sign in, sign out."""

import re

from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def sign_in(page: Page, base: str, username: str, *, password: str = PASSWORD) -> None:
    """Sign in through the form, then wait for the page a signed-in user gets (its sign-out
    form). Fields are found by name: their labels follow the language the portal picks for
    the browser (the pages' labels are checked by the axe-core audit of every page)."""
    page.goto(base + reverse("login"))
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    page.locator("form", has=page.locator('input[name="password"]')).locator(
        "button[type=submit]"
    ).click()
    expect(page.locator(f"form[action='{reverse('logout')}']").first).to_be_attached()


def sign_out(page: Page) -> None:
    """Sign out with the menu's button, at any width, and wait for the sign-in page."""
    # At phone width the button sits in the folded menu: open it first, once the page has
    # loaded (Bootstrap's script, at the end of the page, is what unfolds it).
    page.wait_for_load_state("load")
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        # Bootstrap marks the menu « show » once its unfolding transition has ended; a click
        # during the transition can land on the still-clipped button and be lost.
        expect(page.locator("#menu")).to_have_class(re.compile(r"\bshow\b"))
    button = page.locator(f"form[action='{reverse('logout')}'] button[type=submit]").first
    expect(button).to_be_visible()
    # Going on before the sign-out has landed would still be signed in.
    with page.expect_navigation(url=re.compile(r".*/compte/connexion/$")):
        button.click()
