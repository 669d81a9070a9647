"""Follow every link of a signed-in user's menu and home page.

`walk(client)` opens the home page, collects the same-site links of its navigation bar (the
menu) and of its main part (the home page's cards and lists), and opens each once with GET.
It returns the pages reached, in the order first found, with their status and HTML; the tests
check that each answers 200, and then read their text (tests/test_menus.py) or open them in a
browser (tests/browser/).

Links that only make sense as an action are not followed: logging out, and anything under
`skip_prefixes`. A download (XLSX, PDF, iCal) is fetched like a page; its `html` is empty.
With `downloads=True`, the download links of every page reached (an XLSX export, a template,
a PDF) are fetched too, marked as found on "download".
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.urls import reverse

HOME = "/"
SAME_SITE_HOSTS = {None, "testserver", "localhost", "127.0.0.1"}


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    html: str
    found_on: set = field(default_factory=set)  # "menu" and/or "home"

    @property
    def is_html(self):
        return self.content_type.startswith("text/html")


class _Links(HTMLParser):
    """The hrefs of <a> elements, split into those inside the navigation bar and those in
    the page's <main>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.menu, self.main = [], []
        self._nav_depth = 0
        self._main_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav":
            self._nav_depth += 1
        elif tag == "main":
            self._main_depth += 1
        elif tag == "a" and attrs.get("href"):
            if self._nav_depth:
                self.menu.append(attrs["href"])
            elif self._main_depth:
                self.main.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1
        elif tag == "main" and self._main_depth:
            self._main_depth -= 1


def links(html, base=HOME):
    """(menu links, main-part links) of a page: same-site paths with their query, without
    fragments, each once, in document order."""
    parser = _Links()
    parser.feed(html)
    return _same_site(parser.menu, base), _same_site(parser.main, base)


def _same_site(hrefs, base):
    seen = []
    for href in hrefs:
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        parts = urlsplit(urljoin(base, href))
        if parts.scheme not in ("", "http", "https") or parts.hostname not in SAME_SITE_HOSTS:
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if url not in seen:
            seen.append(url)
    return seen


def menu_links(client):
    """The same-site links of the user's menu (the navigation bar of the home page)."""
    response = client.get(HOME)
    return links(response.content.decode())[0]


DOWNLOAD_SUFFIXES = (".xlsx", ".pdf", ".ics")


def is_download(url):
    path, _sep, query = url.partition("?")
    return path.endswith(DOWNLOAD_SUFFIXES) or "format=xlsx" in query.split("&")


def walk(client, skip_prefixes=(), downloads=False):
    """Open the home page and every link of its menu and main part once (GET). Returns
    {url: Page}, the home page first."""
    skip = (reverse("logout"), *skip_prefixes)
    home = _get(client, HOME)
    pages = {HOME: home}
    home.found_on.update({"menu", "home"})
    menu, main = links(home.html, HOME) if home.is_html else ([], [])
    for where, urls in (("menu", menu), ("home", main)):
        for url in urls:
            if url.startswith(skip):
                continue
            if url not in pages:
                pages[url] = _get(client, url)
            pages[url].found_on.add(where)
    if downloads:
        for page in list(pages.values()):
            if not page.is_html:
                continue
            for url in links(page.html, page.url)[1]:
                if is_download(url) and not url.startswith(skip):
                    if url not in pages:
                        pages[url] = _get(client, url)
                    pages[url].found_on.add("download")
    return pages


def _get(client, url):
    response = client.get(url)
    content_type = response.get("Content-Type", "")
    # The test client closes the response itself (a streamed one once read to its end); closing
    # it again here would close a database connection held by an enclosing transaction.
    if getattr(response, "streaming", False):
        for _chunk in response.streaming_content:
            pass
        html = ""
    else:
        html = response.content.decode() if content_type.startswith("text/html") else ""
    return Page(url=url, status=response.status_code, content_type=content_type, html=html)
