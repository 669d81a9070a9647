"""The Chinese catalogue is complete and compiled."""

import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries(text):
    """(msgid, [msgstr...]) for every live entry of a .po file, header excluded."""
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        if not lines:
            continue
        joined = "\n".join(lines)
        msgid = "".join(re.findall(r'"(.*)"', joined.split("msgstr")[0].split("msgid_plural")[0]))
        strs = [
            "".join(re.findall(r'"(.*)"', part))
            for part in re.split(r"\nmsgstr(?:\[\d+\])? ", "\n" + joined)[1:]
        ]
        if msgid:
            yield msgid, strs, "#, fuzzy" in block


def test_every_string_has_a_chinese_translation():
    missing = [msgid for msgid, strs, fuzzy in entries(PO.read_text()) if fuzzy or not all(strs)]
    assert missing == []


def test_the_compiled_catalogue_is_used():
    with translation.override("zh-hans"):
        assert translation.gettext("Grid member") == "网格员"
