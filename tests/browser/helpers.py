from playwright.sync_api import expect

PASSWORD = "pw-test-2026"  # the personas' password (tests/factories.py)


def log_in(page, live_server, username):
    """Log in through the login page and land on the home page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")
