"""The Chinese catalogue is complete and compiled."""

import ast
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


# The calls whose first argument is the message (after the context for pgettext).
GETTEXT_CALLS = {"gettext", "gettext_lazy", "_", "ngettext", "ngettext_lazy", "gettext_noop"}
CONTEXT_CALLS = {"pgettext", "pgettext_lazy", "npgettext"}


def messages_in_code():
    """(file, line, message) of every gettext call with a literal message in the project's
    Python, those inside f-strings included (where makemessages' xgettext does not look)."""
    root = PO.parents[3]
    skip = {".venv", "staticfiles", "var", "tests", "migrations", "node_modules"}
    for path in sorted(root.rglob("*.py")):
        if skip & set(path.relative_to(root).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            name = node.func.id
            args = node.args[1:] if name in CONTEXT_CALLS else node.args
            message = args[0] if name in GETTEXT_CALLS | CONTEXT_CALLS and args else None
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                yield path.relative_to(root), node.lineno, message.value


def test_every_message_written_in_code_is_in_the_catalogue():
    escapes = {"n": "\n", "t": "\t"}
    translated = {
        re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), msgid)
        for msgid, strs, fuzzy in entries(PO.read_text())
        if all(strs) and not fuzzy
    }
    found = list(messages_in_code())
    assert len(found) > 500  # the walk found the code
    assert [m for m in found if m[2] not in translated] == []
