"""Hypothesis strategies for hostile input: what a careless or malicious client may post.

`hostile()` draws one value: a long string, control characters, markup that would run as
script if echoed unescaped, SQL fragments, wrong types, dates and times at the edges, format
strings, or any unicode text. `form_data(form, other_ids)` draws a whole POST for a form read
from a page: one field (the target) gets a hostile value, the others keep a value a user
could have chosen, so the hostile one reaches as far into the code as the form lets it; now
and then every field is hostile at once, a field is sent twice, or an unknown field is added.
"""

import datetime

from hypothesis import strategies as st

# Markup that runs as script if a page echoes it unescaped: the suite looks for these raw in
# every HTML answer.
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror=alert(1)>")

MARKUP = [
    SCRIPT,
    IMG,
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "</textarea><script>alert(1)</script>",
    "</title><img src=x onerror=alert(1)>",
    "{{ 7|add:7 }}{% now 'Y' %}",
    f"a{SCRIPT}b",
]
CONTROL = [
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "\u202egnp.exe",
    "\r\n\r\nX-Injected: 1",
    "\t\x0b\x0c",
    "\ufeff\u200b\u2028\u2029",
    "\x7f\x80\x9f",
    "\U0001f600" * 50,
]
SQL = [
    "' OR 1=1 --",
    "1; DROP TABLE grids_area; --",
    "1' UNION SELECT username, password FROM grids_user --",
    '" OR ""="',
    "\\",
    "%",
    "_%_",
    "'; SELECT pg_sleep(5); --",
]
WRONG_TYPES = [
    "",
    " ",
    "abc",
    "-1",
    "0",
    "1.5",
    "1e309",
    "NaN",
    "-0",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999999",
    "[]",
    "{}",
    "null",
    "true",
    "0x10",
    "١٢٣",  # Arabic-Indic digits
    "１２３",  # full-width digits
]
DATES = [
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "10000-01-01",
    "1900-01-01",
    "2026-2-3",
    "2026-12",
    "20261203",
    "2026-12-03T25:61",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "24:00",
    "23:59:60",
    "-1:00",
    "99:99",
]
FORMAT = [
    "%s %(x)s {0}",
    "%(name)s%%%d%n",
    "{x} {0!r} {.__class__}",
    "${7*7} #{7*7}",
    "%",
    "100%",
]
PATHS = ["../../etc/passwd", "..\\..\\boot.ini", "/dev/zero", "CON", "a/../../b"]


def long_text():
    return st.builds(
        lambda unit, n: (unit * (n // max(len(unit), 1) + 1))[:n],
        st.sampled_from(["x", "格", "\x00", "<", "%", "é", "\U0001f600"]),
        st.sampled_from([101, 256, 1001, 2001, 10_001]),
    )


def hostile(other_ids=()):
    """One hostile value (a str)."""
    parts = [
        st.sampled_from(MARKUP),
        st.sampled_from(CONTROL),
        st.sampled_from(SQL),
        st.sampled_from(WRONG_TYPES),
        st.sampled_from(DATES),
        st.sampled_from(FORMAT),
        st.sampled_from(PATHS),
        long_text(),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
    ]
    if other_ids:
        parts.append(st.sampled_from(sorted(other_ids)).map(str))
    return st.one_of(*parts)


def plausible(field):
    """The value a user would most likely send for a field read from the page."""
    if field.kind == "select":
        chosen = field.value or next((o for o in field.options if o), "")
        return chosen
    if field.kind in ("radio", "submit") and field.options:
        return field.value or field.options[0]
    if field.value:
        return field.value
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)  # noqa: DTZ011
    return {
        "date": tomorrow.isoformat(),
        "datetime-local": f"{tomorrow.isoformat()}T09:00",
        "time": "09:00",
        "month": tomorrow.strftime("%Y-%m"),
        "number": "1",
        "email": "someone@example.com",
        "tel": "13800000000",
        "checkbox": "on",
        "file": None,
    }.get(field.kind, "hostile-input test")


def file_value():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return st.builds(
        SimpleUploadedFile,
        st.sampled_from(["x.xlsx", "photo.jpg", "../../x.jpg", "a\x00.jpg", "‮gpj.exe", "x"]),
        st.sampled_from(
            [
                b"",
                b"not a workbook",
                b"PK\x03\x04" + b"\x00" * 64,
                b"\xff\xd8\xff\xe0" + b"\x00" * 32,
                b"<script>alert(1)</script>",
                b"GIF89a" + b"\x00" * 10,
            ]
        ),
    )


@st.composite
def form_data(draw, form, other_ids=(), known_names=()):
    """(POST data, the target field's name or "*" for all, a short description)."""
    names = sorted(form.fields)
    hostile_value = hostile(other_ids)
    data = {}
    for name in names:
        field = form.fields[name]
        if field.kind == "file":
            continue
        value = plausible(field)
        if value is not None:
            data[name] = value
    mode = draw(
        st.sampled_from(["one", "one", "one", "all", "extra"]) if names else st.just("extra")
    )
    if mode == "one":
        target = draw(st.sampled_from(names))
        targets = [target]
    elif mode == "all":
        target = "*"
        targets = names
    else:
        target = draw(st.sampled_from(sorted(set(known_names) | {"id", "pk", "grid", "user"})))
        targets = [target]
    files = {}
    for name in targets:
        field = form.fields.get(name)
        if field is not None and field.kind == "file":
            files[name] = draw(file_value())
            continue
        value = draw(hostile_value)
        if field is not None and field.multiple or draw(st.booleans()) and mode == "all":
            data[name] = [value, draw(hostile_value)]
        else:
            data[name] = value
    for name, field in form.fields.items():
        if field.kind == "file" and name not in files and draw(st.booleans()):
            files[name] = draw(file_value())
    return {**data, **files}, target
