"""Every page a demo role reaches from its menu and home page fits a 390 px phone, in Chinese
and in English: nothing scrolls sideways, and the console shows no error (the conftest fails
the test on any).

The pages come from `tests.walk.walk`, run with Django's test client for each demo role (the
admin and the A holder of one post of every role in the first community); the HTML pages that
answer 200 are then opened in Chromium, one browser context per role and language. Whether
every link answers 200 is tests/test_menus.py's business.
"""

import io
import time

import pytest
from django.core.management import call_command
from django.test import Client

from grids import demo
from grids.models import User
from tests.walk import walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("zh-hans", "en")

# The page's width and, when it is wider than the screen, the elements that stick out to the
# right (the deepest ones, which are the cause), so a failure says what to fix.
MEASURE = """() => {
  const width = window.innerWidth;
  const describe = (el) => {
    const classes = typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = (el.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 30);
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes
      + (text ? ` "${text}"` : '') + ` right=${Math.round(el.getBoundingClientRect().right)}`;
  };
  const scrollWidth = document.documentElement.scrollWidth;
  let wide = [];
  if (scrollWidth > width) {
    const out = [...document.body.querySelectorAll('*')].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.right > width + 0.5;
    });
    wide = out.filter((el) => !out.some((other) => other !== el && el.contains(other)))
      .slice(0, 5).map(describe);
  }
  return {scrollWidth, width, wide};
}"""

# A 600 px wide block (set through the DOM: the CSP refuses inline style attributes).
WIDEN = """() => {
  const block = document.createElement('div');
  block.style.width = '600px';
  block.textContent = 'wide';
  document.body.append(block);
}"""


def test_every_demo_role_s_pages_fit_a_phone_in_both_languages(live_server, new_context):
    started = time.monotonic()
    call_command("seed_demo", "--seed", "1", "--no-logins", stdout=io.StringIO())
    print(f"seeded in {time.monotonic() - started:.0f} s")
    started = time.monotonic()
    accounts = demo.demo_accounts(communities=1)
    assert len({account.role for account in accounts}) == 13  # the admin and 12 roles
    too_wide = []
    opened = 0
    for account in accounts:
        user = User.objects.get(username=account.username)
        client = Client()
        client.force_login(user)
        urls = [url for url, page in walk(client).items() if page.status == 200 and page.is_html]
        assert len(urls) > 1, f"{account.username} reaches no page from home"
        session = client.cookies["sessionid"].value
        print(f"{account.username}: {len(urls)} pages: {' '.join(urls)}")
        for language in LANGUAGES:
            User.objects.filter(pk=user.pk).update(language=language)
            context = new_context()  # a 390 px phone (tests/conftest.py)
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            page = context.new_page()
            if not opened:
                # The measure sees a page that is too wide.
                page.goto(live_server.url + "/")
                page.evaluate(WIDEN)
                assert page.evaluate(MEASURE)["scrollWidth"] > 390
            for url in urls:
                page.goto(live_server.url + url)
                assert page.url.startswith(live_server.url + url.split("?")[0]), (
                    f"{account.username} was sent from {url} to {page.url}"
                )
                measured = page.evaluate(MEASURE)
                opened += 1
                if measured["scrollWidth"] > measured["width"]:
                    too_wide.append(
                        f"{account.username} ({account.role}) {language} {url}: "
                        f"{measured['scrollWidth']} px > {measured['width']} px; "
                        + "; ".join(measured["wide"])
                    )
            context.close()
    print(f"{opened} pages opened at 390 px in {time.monotonic() - started:.0f} s")
    assert not too_wide, "Pages that scroll sideways on a phone:\n" + "\n".join(too_wide)
