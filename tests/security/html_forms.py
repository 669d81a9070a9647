"""The forms of a page, read from its HTML: what a browser would let a user post.

`forms(html, page_url)` returns every <form> of the page (its method, the address it posts
to, and its fields: inputs with their type and value, selects with their options, textareas,
named submit buttons) and every element that posts by htmx (`hx-post`), as a form without
fields. The hostile-input suite fuzzes each POST form it finds and the fields of each GET
form (the list filters) as query parameters.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

SAME_SITE_HOSTS = {None, "testserver", "localhost", "127.0.0.1"}


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, checkbox, radio, date, number, file, hidden, submit ...
    value: str = ""
    options: list = field(default_factory=list)  # a select's or a radio group's values
    multiple: bool = False


@dataclass
class Form:
    method: str  # "get" or "post"
    action: str  # a same-site path (with its query, if any)
    fields: dict = field(default_factory=dict)  # name -> Field
    found_on: str = ""

    @property
    def names(self):
        return frozenset(self.fields)


class _Forms(HTMLParser):
    def __init__(self, page_url):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: (value or "") for name, value in attrs}
        if tag == "form":
            self._form = Form(
                method=(attrs.get("method") or "get").lower(),
                action=_same_site(attrs.get("action") or "", self.page_url),
                found_on=self.page_url,
            )
            if attrs.get("hx-post"):
                self._form.method = "post"
                self._form.action = _same_site(attrs["hx-post"], self.page_url)
            self.forms.append(self._form)
            return
        if attrs.get("hx-post") and tag != "form":
            self.forms.append(
                Form("post", _same_site(attrs["hx-post"], self.page_url), found_on=self.page_url)
            )
        if tag == "option" and self._select is not None:
            value = attrs.get("value")
            self._select.options.append(value if value is not None else "")
            if "selected" in attrs:
                self._select.value = self._select.options[-1]
            return
        if self._form is None or not attrs.get("name"):
            return
        name = attrs["name"]
        fields = self._form.fields
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("radio", "checkbox") and name in fields:
                fields[name].options.append(attrs.get("value", "on"))
                fields[name].multiple = fields[name].multiple or kind == "checkbox"
                return
            value = attrs.get("value", "on" if kind in ("radio", "checkbox") else "")
            fields[name] = Field(name, kind, value, options=[value] if kind in ("radio",) else [])
            if kind == "checkbox":
                fields[name].options = [value]
        elif tag == "button" and (attrs.get("type") or "submit").lower() == "submit":
            if name in fields:
                fields[name].options.append(attrs.get("value", ""))
            else:
                value = attrs.get("value", "")
                fields[name] = Field(name, "submit", value, options=[value])
        elif tag == "select":
            self._select = fields[name] = Field(name, "select", multiple="multiple" in attrs)
        elif tag == "textarea":
            self._textarea = fields[name] = Field(name, "textarea")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _same_site(href, base):
    parts = urlsplit(urljoin(base, href.strip()))
    if parts.scheme not in ("", "http", "https") or parts.hostname not in SAME_SITE_HOSTS:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


def forms(html, page_url):
    """Every form of the page and every htmx element that posts, in document order. A form
    whose action leaves the site has an empty `action`."""
    parser = _Forms(page_url)
    parser.feed(html)
    return [form for form in parser.forms if form.action]
