"""Whether PEM text holds well-formed certificates and keys, read without a crypto library.

A reference to a Secret is invalid "when the data within that resource is
malformed" (InvalidCertificateRef): BEGIN / END markers around text that is not
base64, or base64 that is not DER, would fail any controller's parse, so the
markers alone do not make a certificate. The checks are structural: every block
decodes as strict base64 into one DER element that spans it exactly; a
certificate is a SEQUENCE of a SEQUENCE (the signed part), a SEQUENCE (the
algorithm) and a BIT STRING (the signature); a private key is a SEQUENCE. Whether
the signature verifies or the key matches the certificate is left to the cluster.
"""

from __future__ import annotations

import base64
import binascii
import re

_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
SEQUENCE, BIT_STRING = 0x30, 0x03


def blocks(text: str) -> list[tuple[str, bytes | None]]:
    """(label, DER bytes or None when the body is not strict base64) of every PEM block."""
    out: list[tuple[str, bytes | None]] = []
    for match in _BLOCK.finditer(text):
        lines = [line.strip() for line in match.group(2).splitlines()]
        body = "".join(line for line in lines if line and ":" not in line)  # RFC 1421 headers are skipped
        try:
            out.append((match.group(1), base64.b64decode(body, validate=True)))
        except (binascii.Error, ValueError):
            out.append((match.group(1), None))
    return out


def _element(data: bytes, at: int) -> tuple[int, int, int] | None:
    """(tag, start of content, end of content) of the DER element at `at`, or None when cut short."""
    if at + 2 > len(data):
        return None
    tag, first = data[at], data[at + 1]
    at += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or at + count > len(data):
            return None  # indefinite lengths are not DER
        length = int.from_bytes(data[at:at + count], "big")
        at += count
    end = at + length
    return (tag, at, end) if end <= len(data) else None


def _children(data: bytes, start: int, end: int) -> list[int] | None:
    """The tags of the elements that exactly fill data[start:end], or None."""
    tags: list[int] = []
    at = start
    while at < end:
        found = _element(data[:end], at)
        if found is None:
            return None
        tags.append(found[0])
        at = found[2]
    return tags


def _whole_sequence(der: bytes) -> tuple[int, int] | None:
    top = _element(der, 0)
    if top is None or top[0] != SEQUENCE or top[2] != len(der):
        return None
    return top[1], top[2]


def is_certificate(der: bytes) -> bool:
    span = _whole_sequence(der)
    return span is not None and _children(der, *span) == [SEQUENCE, SEQUENCE, BIT_STRING]


def is_private_key(der: bytes) -> bool:
    span = _whole_sequence(der)
    return span is not None and bool(_children(der, *span))


def certificates_problem(text: str, field: str) -> str | None:
    """Why `text` is not one or more PEM certificates, or None when it is."""
    found = [(label, der) for label, der in blocks(text) if label == "CERTIFICATE"]
    if not found:
        return f"{field} is not a PEM certificate"
    if any(der is None for _, der in found):
        return f"{field} holds a PEM block that is not valid base64"
    if not all(der is not None and is_certificate(der) for _, der in found):
        return f"{field} holds a PEM block that is not a DER certificate"
    return None


def private_key_problem(text: str, field: str) -> str | None:
    """Why `text` is not a PEM private key, or None when it is."""
    found = [(label, der) for label, der in blocks(text) if label.endswith("PRIVATE KEY")]
    if not found:
        return f"{field} is not a PEM private key"
    der = found[0][1]
    if der is None:
        return f"{field} holds a PEM block that is not valid base64"
    if not is_private_key(der):
        return f"{field} holds a PEM block that is not a DER private key"
    return None
