"""Just enough of a PDF reader to get the text back out of Munshi's invoices (fpdf2 output).

No PDF library is a dependency of the project, so this reads what fpdf2 writes:
objects ``N 0 obj … endobj``, Flate-compressed streams, Type0 fonts with
Identity-H encoding (two bytes per glyph) and a ``/ToUnicode`` CMap each, page
resources ``/Font << /F1 5 0 R … >>``, and text shown with ``(…) Tj`` or
``[…] TJ`` after ``/F1 9 Tf``. Enough to prove a name went into the PDF as the
letters it is, and nothing more general than that.
"""
from __future__ import annotations

import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_TOKENS = re.compile(rb"/(F\d+)\s+[\d.]+\s+Tf|\((?:\\.|[^\\)])*\)\s*Tj|\[(?:\\.|[^\\\]])*\]\s*TJ|\bET\b", re.S)
_STRING = re.compile(rb"\((?:\\.|[^\\)])*\)", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _stream(body: bytes) -> bytes | None:
    if b"stream" not in body:
        return None
    head, rest = body.split(b"stream", 1)
    data = rest.lstrip(b"\r\n").rsplit(b"endstream", 1)[0].rstrip(b"\r\n")
    if b"FlateDecode" in head:
        data = zlib.decompress(data)
    return data


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(literal):
        c = literal[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        nxt = literal[i + 1:i + 2]
        if nxt in _ESCAPES:
            out += _ESCAPES[nxt]
            i += 2
        elif nxt.isdigit():
            octal = re.match(rb"[0-7]{1,3}", literal[i + 1:i + 4])
            assert octal is not None
            out.append(int(octal.group(0), 8) & 0xFF)
            i += 1 + len(octal.group(0))
        else:  # a backslash before a line end (continuation) or anything else: dropped
            i += 2 if nxt else 1
    return bytes(out)


def _cmap(data: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def pdf_text(pdf: bytes) -> str:
    """The text of every page, one line per text object (BT … ET)."""
    objects = {int(m.group(1)): m.group(2) for m in _OBJ.finditer(pdf)}
    cmaps: dict[int, dict[int, str]] = {}
    for number, body in objects.items():
        found = re.search(rb"/ToUnicode\s+(\d+)\s+0\s+R", body.split(b"stream")[0])
        if found:
            data = _stream(objects[int(found.group(1))])
            cmaps[number] = _cmap(data or b"")
    fonts: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for block in re.findall(rb"/Font\s*<<(.*?)>>", body.split(b"stream")[0], re.S):
            for name, ref in re.findall(rb"/(F\d+)\s+(\d+)\s+0\s+R", block):
                fonts[name] = cmaps.get(int(ref), {})
    lines: list[str] = []
    current: list[str] = []
    for body in objects.values():
        data = _stream(body)
        if not data or (b"Tj" not in data and b"TJ" not in data):
            continue
        cmap: dict[int, str] = {}
        for token in _TOKENS.finditer(data):
            text = token.group(0)
            if token.group(1):
                cmap = fonts.get(token.group(1), {})
            elif text == b"ET":
                if current:
                    lines.append("".join(current))
                    current = []
            else:
                for literal in _STRING.findall(text):
                    raw = _unescape(literal[1:-1])
                    current.append("".join(cmap.get(int.from_bytes(raw[i:i + 2], "big"), "\ufffd")
                                           for i in range(0, len(raw) - 1, 2)))
    if current:
        lines.append("".join(current))
    return "\n".join(lines)


def squeezed(text: str) -> str:
    """``text`` without whitespace (fpdf2 places words one by one and wraps long names)."""
    return re.sub(r"\s+", "", text)
