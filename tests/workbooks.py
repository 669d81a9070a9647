"""Workbooks compared part by part: what gridmgmt.xlsx writes against what openpyxl writes."""

import io
import zipfile

from gridmgmt import xlsx


def parts(data):
    """[(name, compression, bytes)] of a workbook, its times of creation and change masked."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        found = []
        for info in archive.infolist():
            part = archive.read(info.filename)
            if info.filename == xlsx.CORE:
                part = xlsx.STAMP.sub(b"<time>", part)
            found.append((info.filename, info.compress_type, part))
        return found


def openpyxls(sheets):
    """The bytes of the workbook of `sheets` as openpyxl writes it."""
    handle = io.BytesIO()
    xlsx.openpyxl_xlsx(sheets, handle)
    return handle.getvalue()


def written_as_openpyxl(sheets):
    """The bytes gridmgmt.xlsx writes of `sheets`, after checking that every part is
    openpyxl's, byte for byte."""
    written = xlsx.xlsx(sheets)
    assert written is not None, "left to openpyxl"
    expected = parts(openpyxls(sheets))
    got = parts(written)
    assert [name for name, *_ in got] == [name for name, *_ in expected]
    for (name, *part), (_name, *openpyxl_part) in zip(got, expected, strict=True):
        assert part == openpyxl_part, name
    return written
