"""Hostile input to every form and every page, as every role: never a 500, never a
payload echoed unescaped, nothing saved when the input is refused.

The personas of tests/conftest.py (two communities, A and B) are built once for this module
and rolled back after it. For each role, the suite signs in as community B's persona (or the
district officer, or the outsider) and finds what to attack without a list anyone must keep
up to date:

- every named pattern of the URLconf is opened, with an object of community B behind each
  parameter (the objects tests/test_url_isolation.py makes), and
  so is every link, htmx address and GET form of the pages reached (at most CRAWL_PER_VIEW
  pages per view, so objects in other states are seen too);
- every `<form method=post>` (and `hx-post` element) of those pages is a form to fuzz, with
  the fields, select options and hidden values the page offers;
- every pattern that no page posts to is posted to blind, with field names seen elsewhere;
- every page that answered 200 gets hostile query parameters (its GET forms' fields and
  ?day= ?month= ?start= ?end= ?page= ?sort= ?q= and the like).

Each example runs in a savepoint rolled back afterwards, so every example meets the same data
and a database error in one does not poison the next. The checks, for every answer:

- its status is below 500 and the view raised nothing;
- an HTML answer contains no raw `<script>alert(1)` or `<img src=x onerror=alert(1)>`, and
  neither does the page a successful post redirects to;
- an answer that refuses the input (a 4xx, or a form shown again with its errors) left the
  row counts of every table of the project's apps as they were.

Failures are collected, one per distinct (address, field, error), and listed together. The
number of examples per form comes from the Hypothesis profile (tests/security/conftest.py);
the counts are printed at the end of the run.
"""

import traceback
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import build_world
from tests.security.conftest import EXAMPLES, PROFILE
from tests.security.html_forms import forms as read_forms
from tests.security.objects import SKIPPED_NAMESPACES, object_urls
from tests.security.strategies import RAW_MARKERS, form_data, hostile

# Signing out ends the session the suite works in; it takes no input.
SKIPPED_VIEWS = {"logout"}
CRAWL_PER_VIEW = 2
# Query parameters the list, board and report pages read, tried on every page.
QUERY_NAMES = ["day", "month", "start", "end", "page", "sort", "q", "area", "grid", "status"]
# Apps whose tables are counted before and after a refused post.
COUNTED_APPS = ["grids", "patrols", "incidents", "meetings", "reports", "notifications"]
# Blind posts to an address no page posts to: fewer examples than a real form gets.
BLIND_SHARE = 2
# Queries of a page: fewer examples than a form gets.
GET_SHARE = 4

pytestmark = pytest.mark.django_db


# --- The personas and an object of each kind in community B --------------------------------


@dataclass
class Scene:
    users: dict  # role -> user, all of community B or above it
    urls: dict  # view name -> url of an object of community B
    other_ids: set  # ids and codes of community A's objects


# The personas of tests/conftest.py that act: community B's team, the district officer above
# both communities, and the outsider who holds no post.
ROLES = ["stationmaster", "grid_leader", "grid_member", "district_officer", "outsider"]


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast:
        name = connection.settings_dict["NAME"]
        in_memory = connection.vendor == "sqlite" and connection.creation.is_in_memory_db(name)
        assert str(name).startswith("test_") or in_memory, "not a test database"
        world = build_world()
        urls, _ids = object_urls(world)
        _urls, others = object_urls(SimpleNamespace(b=world.a))
        other_ids = {str(value) for value in others.values()}
        users = {
            "district_officer": world.district_officer,
            "outsider": world.outsider,
            **{role: getattr(world.b, role) for role in ROLES[:3]},
        }
        yield Scene(users, urls, other_ids)
        transaction.set_rollback(True)


# --- Finding the pages and their forms -------------------------------------------------------


class _Addresses(HTMLParser):
    """Same-site addresses a page leads to: links, htmx GETs and GET forms' actions."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "hx-get"):
            if attrs.get(name) and tag != "link":
                self.hrefs.append(attrs[name])
        if tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self.hrefs.append(attrs.get("action") or "")


def _addresses(html, base):
    parser = _Addresses()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        href = (href or "").strip()
        if href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        parts = urlsplit(urljoin(base, href))
        if parts.scheme in ("", "http", "https") and parts.hostname in (None, "testserver"):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def view_name(url):
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


def skipped(name):
    return name is None or name in SKIPPED_VIEWS or name.split(":")[0] in SKIPPED_NAMESPACES


@dataclass
class Page:
    url: str
    view: str
    status: int
    content_type: str
    forms: list = field(default_factory=list)


def discover(client, seeds, failures):
    """Open the home page, every seed and what they lead to; {url: Page}. A GET that fails
    is recorded in `failures`."""
    pages, per_view = {}, Counter()
    queue = ["/", *seeds]
    while queue:
        url = queue.pop(0)
        name = view_name(url)
        if url in pages or skipped(name):
            continue
        if per_view[name] >= CRAWL_PER_VIEW and url not in seeds:
            continue
        per_view[name] += 1
        with transaction.atomic():  # a GET that writes (a notification read) is undone
            outcome = request(client, "get", url, {})
            transaction.set_rollback(True)
        if isinstance(outcome, Exception):
            failures.record(name, "GET", "(discovery)", url, outcome)
            continue
        check(outcome, failures, name, "GET", "(discovery)", url)
        content_type = outcome.get("Content-Type", "")
        page = Page(url, name, outcome.status_code, content_type)
        pages[url] = page
        if content_type.startswith("text/html") and outcome.status_code == 200:
            html = outcome.content.decode()
            page.forms = read_forms(html, url)
            queue.extend(_addresses(html, url))
    return pages


def post_forms(pages):
    """The distinct POST forms of the pages: one per (view posted to, field names)."""
    found = {}
    for page in pages.values():
        for form in page.forms:
            name = view_name(form.action)
            if form.method == "post" and not skipped(name):
                found.setdefault((name, form.names), form)
    return found


# --- Requests and checks ---------------------------------------------------------------------


def request(client, method, url, data):
    """The response, or the exception the view raised."""
    try:
        if method == "get":
            return client.get(url, data)
        return client.post(url, data)
    except Exception as exc:  # noqa: BLE001 - any exception is a finding
        return exc


def counts():
    """Rows in every table of the project's apps: one query."""
    tables = sorted(
        {
            model._meta.db_table
            for app in COUNTED_APPS
            for model in apps.get_app_config(app).get_models()
            if model._meta.managed and not model._meta.proxy
        }
    )
    sql = "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{table}")' for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


ERROR_MARKERS = ("is-invalid", "errorlist", "invalid-feedback")


def refused(response):
    if 400 <= response.status_code < 500:
        return True
    if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
        body = response.content.decode(errors="replace")
        return any(marker in body for marker in ERROR_MARKERS)
    return False


def body_text(response):
    if getattr(response, "streaming", False):
        return ""
    if not response.get("Content-Type", "").startswith("text/html"):
        return ""
    return response.content.decode(errors="replace")


def check(response, failures, view, method, target, shown):
    """Record what is wrong with one answer; True if nothing is."""
    if response.status_code >= 500:
        failures.record(view, method, target, shown, f"status {response.status_code}")
        return False
    body = body_text(response)
    for marker in RAW_MARKERS:
        if marker in body:
            at = body.index(marker)
            failures.record(
                view, method, target, shown, f"unescaped {marker!r}: …{body[at - 60 : at + 40]!r}"
            )
            return False
    return True


class Failures:
    """Distinct failures: one per (method, view, field, error)."""

    def __init__(self, role):
        self.role = role
        self.found = {}

    def record(self, view, method, target, shown, error):
        """One failure; the same kind of failure at the same place for the same field (an
        exception's type and line, or an answer's status) is kept once, with its first
        input."""
        if isinstance(error, Exception):
            kind, error = describe(error)
        else:
            kind = error.split(":")[0]
        self.found.setdefault((method, view, target, kind), (error, shown))

    def report(self):
        lines = []
        for (method, view, target, _kind), (error, shown) in sorted(self.found.items()):
            lines.append(f"[{self.role}] {method} {view} field={target}: {error}")
            lines.append(f"    input: {shown}")
        return "\n".join(lines)


def describe(exc):
    """(the exception's type and the innermost frame of the project's own code, that with
    the exception's last line)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/.venv/" not in f.filename and "/tests/" not in f.filename]
    where = f" at {ours[-1].filename.split('/work/main/')[-1]}:{ours[-1].lineno}" if ours else ""
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return f"{type(exc).__name__}{where}", f"{last[:200]}{where}"


def _shown(data):
    def short(value):
        if hasattr(value, "name") and hasattr(value, "read"):
            return f"<file {value.name!r}>"
        text = repr(value)
        return text if len(text) <= 80 else f"{text[:60]}…({len(str(value))} chars)"

    return "{" + ", ".join(f"{k!r}: {short(v)}" for k, v in data.items()) + "}"


def attempt(client, method, url, data, target, view, failures, before):
    """One example: send it, check the answer (and, for a post that succeeded with markup
    in it, the page it redirects to), then roll back what it changed."""
    shown = f"{url} {_shown(data)}"
    with transaction.atomic():
        response = request(client, method, url, data)
        if isinstance(response, Exception):
            failures.record(view, method.upper(), target, shown, response)
        elif check(response, failures, view, method.upper(), target, shown):
            if method == "post" and refused(response):
                try:
                    after = counts()
                except Exception as exc:  # noqa: BLE001 - a poisoned transaction is a finding
                    failures.record(view, "POST", target, shown, exc)
                else:
                    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
                    if changed:
                        failures.record(
                            view,
                            "POST",
                            target,
                            shown,
                            f"refused ({response.status_code}) but saved: {changed}",
                        )
            elif 300 <= response.status_code < 400 and "<" in repr(data):
                location = response.get("Location", "")
                if location.startswith("/") and not skipped(view_name(location)):
                    followed = request(client, "get", location, {})
                    if isinstance(followed, Exception):
                        failures.record(view, "GET after POST", target, shown, followed)
                    else:
                        check(followed, failures, view, "GET after POST", target, shown)
        transaction.set_rollback(True)


# --- Fuzzing ---------------------------------------------------------------------------------


def fuzz_form(client, role, form, view, other_ids, known_names, failures, examples=None):
    before = counts()
    profile = settings.default
    runs = Counter()

    @settings(profile, max_examples=examples or profile.max_examples)
    @given(form_data(form, other_ids, known_names))
    def run(drawn):
        data, target = drawn
        runs["n"] += 1
        attempt(client, "post", form.action, data, target, view, failures, before)

    run()
    EXAMPLES[(role, "POST", view)] += runs["n"]


def fuzz_query(client, role, page, other_ids, failures):
    names = set(QUERY_NAMES)
    for form in page.forms:
        if form.method == "get":
            names |= set(form.fields)
    names = sorted(names)
    base, _sep, query = page.url.partition("?")
    profile = settings.default
    runs = Counter()

    @settings(profile, max_examples=max(1, profile.max_examples // GET_SHARE))
    @given(st.dictionaries(st.sampled_from(names), hostile(other_ids), min_size=1, max_size=3))
    def run(params):
        runs["n"] += 1
        url = f"{base}?{urlencode(params)}"
        target = ",".join(sorted(params))
        attempt(client, "get", url, {}, target, page.view, failures, None)

    run()
    EXAMPLES[(role, "GET", page.view)] += runs["n"]


@pytest.mark.parametrize("role", ROLES)
def test_hostile_input_never_breaks_a_page_leaks_markup_or_saves_when_refused(scene, role):
    user = scene.users[role]
    client = Client()
    client.force_login(user)
    failures = Failures(role)
    seeds = sorted(url for name, url in scene.urls.items() if not skipped(name))
    pages = discover(client, seeds, failures)
    forms = post_forms(pages)
    known_names = sorted({name for form in forms.values() for name in form.fields})
    posted_to = {view for view, _names in forms}

    for (view, _names), form in sorted(forms.items(), key=lambda item: item[0][0]):
        client.force_login(user)
        fuzz_form(client, role, form, view, scene.other_ids, known_names, failures)

    blind = max(1, settings.default.max_examples // BLIND_SHARE)
    for name, url in sorted(scene.urls.items()):
        if name in posted_to or skipped(name):
            continue
        client.force_login(user)
        form = read_forms(f'<form method="post" action="{url}"></form>', url)[0]
        fuzz_form(client, role, form, name, scene.other_ids, known_names, failures, blind)

    queried = set()
    for page in pages.values():
        if page.status == 200 and page.view not in queried:
            queried.add(page.view)
            client.force_login(user)
            fuzz_query(client, role, page, scene.other_ids, failures)

    assert not failures.found, f"{len(failures.found)} failures:\n{failures.report()}"


def test_the_checks_catch_a_500_an_unescaped_payload_and_a_refusal_that_saved():
    from django.http import HttpResponse

    from grids.models import Tag

    failures = Failures("check")
    assert check(HttpResponse("<p>&lt;script&gt;alert(1)</p>"), failures, "v", "GET", "q", "")
    assert not check(HttpResponse(status=500), failures, "v", "GET", "q", "")
    page = HttpResponse('<p>"><img src=x onerror=alert(1)></p>')
    assert not check(page, failures, "v", "GET", "q", "")
    assert refused(HttpResponse('<input class="is-invalid">'))
    assert not refused(HttpResponse(status=302))
    before = counts()
    Tag.objects.create(name="saved", kind=Tag.Kind.CARE)
    assert counts() != before
    assert len(failures.found) == 2


def test_the_ci_profile_tries_at_least_10000_hostile_inputs():
    """Runs after the roles' tests (pytest keeps the file's order): in CI, the run above must
    have tried at least 10,000 examples. A run of some roles only (-k) cannot say."""
    roles = {role for role, _method, _view in EXAMPLES}
    if PROFILE != "ci" or roles != set(ROLES):
        pytest.skip(f"profile {PROFILE}, roles run: {sorted(roles)}")
    assert sum(EXAMPLES.values()) >= 10_000, f"{sum(EXAMPLES.values())} examples"
