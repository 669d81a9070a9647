"""The words a reader sees on a page, and the English among them.

`visible_texts(html)` returns the text nodes outside scripts, styles and templates, the texts
of `<option>`s, and the attributes a reader sees or hears (placeholder, title, aria-label,
alt, a button's value). Text inside an element marked `lang="en"` (the "English" language
switch) is English on purpose and left out.

`english_words(text)` returns the Latin-letter words of a text that are not codes, units or
product names on the allowlist.
"""

import re
from html.parser import HTMLParser

HIDDEN_ELEMENTS = {"script", "style", "template", "noscript", "svg"}
VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
SEEN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")

# Words that stay in Latin letters in a Chinese interface: file formats and products, units,
# the letters of the AB post system and "max" in the score's formula. Compared ignoring case.
ALLOWED_WORDS = {
    "XLSX",
    "Excel",
    "PDF",
    "iCal",
    "ICS",
    "ID",
    "GeoJSON",
    "JSON",
    "CSV",
    "URL",
    "HTTPS",
    "AB",
    "km",
    "kg",
    "KB",
    "MB",
    "GB",
    "px",
    "WiFi",
    "Wi",
    "Fi",
    "APP",
    "App",
    "QR",
    "A",
    "B",
    "max",
}
_ALLOWED = {word.lower() for word in ALLOWED_WORDS}
# Codes that are data, not words: area codes (GL-01-02, GL-01-01-01-B01-U1), usernames
# (gl-01-01-01-a), masked ID numbers (330106********123X), e-mail addresses, web addresses and
# calendar-feed paths.
CODES = re.compile(
    r"\d*\*+\d*X?\b"  # masked ID numbers
    r"|[\w.+-]+@[\w.-]+"  # e-mail
    r"|(?:https?://|/)[\w./?=&%:#-]*[\w/]"  # addresses and paths
    r"|\b[A-Za-z]{1,4}(?:-[A-Za-z0-9]+)+\b"  # area codes and usernames
    r"|\b[A-Z]\d+\b"  # building and unit codes (B01, U1)
)
WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")

# Leftovers the issue names: English drafted from the data, django-filter's sort labels, and a
# person's name labelled as the name of a thing.
LEFTOVERS = (
    "Filed (descending)",
    "(descending)",
    "escalated, overdue, supervised",
    "missed patrol window",  # "1 missed patrol window since …", "2 missed patrol windows …"
    "verify ",
)
# Pages about people, where a name is a person's (姓名), never a thing's (名称).
PEOPLE_PAGES = ("/register/", "/households/", "/residents/")
THING_NAME = "名称"


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts = []
        self._stack = []  # (tag, hides)

    def _hidden(self):
        return any(hides for _tag, hides in self._stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        english = (attrs.get("lang") or "").lower().startswith("en")
        hides = tag in HIDDEN_ELEMENTS or english
        if not self._hidden() and not hides:
            for name in SEEN_ATTRIBUTES:
                if attrs.get(name):
                    self.texts.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.texts.append(attrs["value"])
        if tag not in VOID_ELEMENTS:
            self._stack.append((tag, hides))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS and self._stack:
            self._stack.pop()

    def handle_endtag(self, tag):
        # Close up to the matching tag; tolerate unclosed <p>, <li> and the like.
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data):
        if data.strip() and not self._hidden():
            self.texts.append(" ".join(data.split()))


def visible_texts(html):
    parser = _Texts()
    parser.feed(html)
    parser.close()
    return parser.texts


def english_words(text, data=()):
    """The words of `text` in Latin letters that are neither codes nor allowed. `data`: words
    that are data on this page (a username, an area code without a dash such as GL)."""
    text = CODES.sub(" ", text)
    allowed = _ALLOWED | {word.lower() for word in data}
    return [word for word in WORD.findall(text) if word.lower() not in allowed]


def english_on_page(html, data=()):
    """{text: [English words]} for every visible text of the page with English in it."""
    found = {}
    for text in visible_texts(html):
        words = english_words(text, data)
        if words:
            found[text] = words
    return found


def leftovers_on_page(html, url=""):
    """The leftovers named in the issue that appear in the page's visible text; on a page
    about people (by its `url`), also 名称 for a person's name."""
    joined = "\n".join(visible_texts(html))
    found = [leftover for leftover in LEFTOVERS if leftover in joined]
    if url.startswith(PEOPLE_PAGES) and THING_NAME in joined:
        found.append(THING_NAME)
    return found
