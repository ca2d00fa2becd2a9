"""Plain YAML scalars as Kubernetes reads them, not as PyYAML does.

Kubernetes decodes a manifest with sigs.k8s.io/yaml: go-yaml v2 parses it into
untyped values, which are converted to JSON and decoded as JSON. A manifest is
judged for what the cluster would get, so a plain (unquoted) scalar gets the
type go-yaml v2 gives it, and then what the JSON round trip makes of it:

- a timestamp (`2024-01-01`) stays a string (PyYAML makes it a date);
- `y`, `Y`, `n`, `N` are booleans, like `yes`/`no`/`on`/`off`;
- `0o17` and `0O17` are octal, `0X1F` is hexadecimal;
- sexagesimal numbers (`1:30`) are strings (PyYAML: 90);
- a float needs no dot and no sign in its exponent (`1e3`, `1.5e3`); a number
  with a leading zero that is not octal (`08`) is the decimal number;
- a float with an integral value is an integer (`80.0` is 80), as JSON gives it;
- `.inf`, `-.inf` and `.nan` as keys are the text `.inf`, `-.inf`, `.nan`; as values they have
  no JSON form and Kubernetes refuses the document, while they are read here as floats;
- a plain `=` is a string (PyYAML: the YAML 1.1 value key, which it cannot construct);
- a mapping key that is not a string is written as one (`true: x` has the key "true",
  `1: x` the key "1");
- `!!timestamp` gives the text, `!!binary` the decoded text.

docs/yaml.md lists these differences with an example each.
"""

from __future__ import annotations

import base64
import functools
import math
import re
from typing import Any

_PREFIX = "tag:yaml.org,2002:"
STR, BOOL, INT, FLOAT, NULL, MERGE = (f"{_PREFIX}{t}" for t in ("str", "bool", "int", "float", "null", "merge"))
TIMESTAMP, BINARY = f"{_PREFIX}timestamp", f"{_PREFIX}binary"

_BOOLS = {**dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
          **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False)}
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_SPECIAL_FLOATS = {**dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
                   **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
                   **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf)}
# What go-yaml tries to read as a number: a plain scalar starting with one of these.
_NUMERIC_START = frozenset("+-0123456789")
# Go's strconv.ParseInt(s, 0, 64) after go-yaml drops every underscore.
_GO_INT = re.compile(r"([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))")
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_INT64 = range(-(1 << 63), 1 << 63)
_UINT64 = range(0, 1 << 64)


@functools.lru_cache(maxsize=1 << 14)
def plain_tag(value: str) -> str:
    """The tag go-yaml v2 resolves a plain scalar to (its timestamps are strings)."""
    if value in _BOOLS:
        return BOOL
    if value in _NULLS:
        return NULL
    if value in _SPECIAL_FLOATS:
        return FLOAT
    if value == "<<":
        return MERGE
    return _number_tag(value) if value[:1] in _NUMERIC_START or value[:1] == "." else STR


def _number_tag(value: str) -> str:
    if value[0] == ".":
        return FLOAT if _DOT_FLOAT.fullmatch(value) else STR
    plain = value.replace("_", "")
    if go_int(plain) is not None:
        return INT
    return FLOAT if _YAML_STYLE_FLOAT.fullmatch(plain) else STR


def go_int(plain: str) -> int | None:
    """strconv.ParseInt(plain, 0, 64), or ParseUint for what only it takes; None when neither does."""
    m = _GO_INT.fullmatch(plain)
    if m is None:
        return None
    sign, hexa, octal, binary, zero, decimal = m.groups()
    if hexa is not None:
        number = int(hexa, 16)
    elif octal is not None:
        number = int(octal, 8)
    elif binary is not None:
        number = int(binary, 2)
    elif zero is not None:
        number = int(zero, 8)
    else:
        number = int(decimal)
    number = -number if sign == "-" else number
    return number if number in _INT64 or (sign != "-" and number in _UINT64) else None


def json_number(number: float) -> int | float:
    """What the JSON round trip makes of a float: an integer when it has an integral value that
    fits one (Go writes 80.0 as `80`, which decodes as an integer)."""
    return int(number) if number.is_integer() and int(number) in _INT64 else number


def construct_bool(node: Any) -> bool:
    return _BOOLS[node.value]


def construct_int(node: Any) -> int | float:
    plain = node.value.replace("_", "")
    number = go_int(plain)
    return number if number is not None else json_number(float(plain))


def construct_float(node: Any) -> int | float:
    value = node.value
    number = _SPECIAL_FLOATS.get(value)
    if number is not None:
        return number  # as a value, no JSON form (see the module's docstring); as a key, text
    return json_number(float(value if value[0] == "." else value.replace("_", "")))


def construct_timestamp(node: Any) -> str:
    return str(node.value)


def construct_binary(node: Any) -> str:
    try:
        return base64.b64decode(node.value.replace("\n", "").replace(" ", "")).decode("utf-8", "replace")
    except ValueError:
        from yaml.constructor import ConstructorError

        raise ConstructorError(None, None, "!!binary value is not base64", node.start_mark) from None


def json_key(key: Any) -> Any:
    """A mapping key as JSON has it: booleans and numbers as text; other keys as they are."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        if math.isnan(key) or math.isinf(key):
            return ".nan" if math.isnan(key) else ".inf" if key > 0 else "-.inf"
        return str(json_number(key)) if key.is_integer() else repr(key)
    return key
