"""`configMapGenerator` and `secretGenerator`: the objects they make and the name suffix kustomize hashes.

The suffix is the first ten hex digits of the SHA-256 of a JSON encoding of the
object's kind, data (and type, for Secrets) with an empty name, a few digits
swapped for letters so that the suffix never reads as a number or a word; it is
computed on the object as the build finally emits it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
from collections.abc import Callable
from typing import Any

from policycheck.build.nodes import mapping

_SWAP = str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"})


class GeneratorError(Exception):
    """A generator entry that cannot be made (the message names what)."""


def _go_json(value: Any) -> str:
    """JSON as Go's encoding/json writes it: sorted keys, no spaces, HTML characters escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def name_hash(body: dict[str, Any]) -> str:
    kind = body.get("kind")
    encoded: dict[str, Any] = {"kind": kind, "name": "", "data": body.get("data", "")}
    if kind == "Secret":
        encoded["type"] = body.get("type", "")
    elif isinstance(body.get("binaryData"), dict):
        encoded["binaryData"] = body["binaryData"]
    return hashlib.sha256(_go_json(encoded).encode()).hexdigest()[:10].translate(_SWAP)


def encode_base64(data: bytes) -> str:
    """Base64 as kustomize writes generated data: lines of 70 characters, each ending in a newline,
    once the text is that long."""
    text = base64.b64encode(data).decode()
    if len(text) < 70:
        return text
    return "".join(text[i:i + 70] + "\n" for i in range(0, len(text), 70))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _pairs(entry: dict[str, Any], folder: str, read: Callable[[str], bytes | None]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for env in [*(entry.get("envs") or []), *([entry["env"]] if isinstance(entry.get("env"), str) else [])]:
        data = read(posixpath.normpath(posixpath.join(folder, str(env))))
        if data is None:
            raise GeneratorError(f"env file {env} not found")
        for raw in data.decode("utf-8", "replace").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            # A line without `=` takes its value from the environment of the kustomize run: unknown here,
            # and empty where that variable is not set.
            key, _, value = line.partition("=")
            out.append((key.strip(), value.encode()))  # quotes are kept: an env file is not a shell
    for literal in entry.get("literals") or []:
        text = str(literal)
        if "=" not in text:
            raise GeneratorError(f"literal {text!r} has no '='")
        key, value = text.split("=", 1)
        out.append((key.strip(), _unquote(value).encode()))
    for source in entry.get("files") or []:
        text = str(source)
        key, _, path = text.partition("=") if "=" in text else (posixpath.basename(text), "", text)
        data = read(posixpath.normpath(posixpath.join(folder, path)))
        if data is None:
            raise GeneratorError(f"file {path} not found")
        out.append((key.strip(), data))
    return out


def make(kind: str, entry: dict[str, Any], options: dict[str, Any], folder: str,
         read: Callable[[str], bytes | None]) -> tuple[dict[str, Any], bool]:
    """The generated object and whether its name takes the hash suffix."""
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise GeneratorError(f"a {kind} generator entry has no name")
    meta: dict[str, Any] = {"name": name}
    if isinstance(entry.get("namespace"), str):
        meta["namespace"] = entry["namespace"]
    own = mapping(entry.get("options"))
    labels = {**(options.get("labels") or {}), **(own.get("labels") or {})}
    annotations = {**(options.get("annotations") or {}), **(own.get("annotations") or {})}
    if labels:
        meta["labels"] = {str(k): str(v) for k, v in labels.items()}
    if annotations:
        meta["annotations"] = {str(k): str(v) for k, v in annotations.items()}
    body: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": meta}
    data: dict[str, str] = {}
    binary: dict[str, str] = {}
    for key, value in _pairs(entry, folder, read):
        if kind == "Secret":
            data[key] = encode_base64(value)
            continue
        try:
            data[key] = value.decode("utf-8")
        except UnicodeDecodeError:
            binary[key] = encode_base64(value)
    if data:
        body["data"] = data
    if binary:
        body["binaryData"] = binary
    if kind == "Secret":
        body["type"] = str(entry.get("type") or "Opaque")
    immutable = own.get("immutable", options.get("immutable"))
    if immutable:
        body["immutable"] = True
    disabled = own.get("disableNameSuffixHash", options.get("disableNameSuffixHash"))
    return body, not disabled
