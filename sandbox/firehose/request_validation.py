"""The Firehose API's wire-level checks: what AWS answers a malformed request with.

Owns: turning a raw JSON 1.1 request (``X-Amz-Target`` and body) into the operation's
parameters, or into the error AWS's request layer (Coral) answers before any operation runs,
for every Firehose operation, from the service model's input shapes (botocore's
``firehose/2015-08-04/service-2.json``: ``required``, ``min``/``max``, ``pattern``, ``enum``):

- an ``X-Amz-Target`` that is missing, of another service or names no operation:
  ``UnknownOperationException``;
- a body that is empty, not JSON (truncated, garbage, invalid UTF-8, nested past any sane
  depth) or not a JSON object: ``SerializationException``;
- a member of the wrong JSON type, or a blob that is not canonical base64:
  ``SerializationException`` with Coral's texts (``NUMBER_VALUE can not be converted to a
  String``, ``Start of list found where not expected``, ``'***' can not be converted to a
  Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3``...);
- a required member missing or null, a length, pattern, enum or range broken:
  ``ValidationException``, "N validation error(s) detected: Value '...' at 'deliveryStreamName'
  failed to satisfy constraint: Member must ...", every violation listed.

Sources for the codes and texts: the Firehose API reference ("Common Errors"; the PutRecord,
PutRecordBatch and CreateDeliveryStream pages give ``DeliveryStreamName`` "Length
Constraints: Minimum length of 1. Maximum length of 64. Pattern: [a-zA-Z0-9_.-]+", ``Records``
"Array Members: Minimum number of 1 item. Maximum number of 500 items", ``Record.Data``
"Required: Yes", base64-encoded binary, "Maximum length of 1024000"); Coral's behaviour as
recorded against AWS by kinesalite (``test/connection.js``: an empty or non-JSON body is
``{"__type":"SerializationException"}``, no or an unknown target ``UnknownOperationException``,
both HTTP 400; ``validations/index.js``: the Blob and "Member must ..." texts) and AWS SDK issues
quoting live answers (aws/aws-sdk-php#650, boto/botocore#413: "'string' can not be converted to
a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 6"; the
``NUMBER_VALUE``/``TRUE_VALUE`` token texts of current Coral versions).

Not reproduced: Coral sends no ``message`` for an unparseable body or an unknown operation; the
sandbox adds one saying what is wrong (clients read only ``__type`` there). Values quoted in
messages are cut at 128 characters (AWS quotes them whole). Patterns written with Java's
``\\p{...}`` classes (tag keys and values) are not checked. Members that the model does not
know are ignored, as Coral does.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any

from sandbox.firehose.errors import FirehoseError, ValidationError, validation_message

__all__ = [
    "TARGET_PREFIX",
    "SerializationError",
    "UnknownOperationError",
    "decode_blob",
    "operation_for_target",
    "parse_body",
    "parse_request",
    "stream_name_violations",
    "validate_input",
]

# botocore's firehose model, "metadata": {"targetPrefix": "Firehose_20150804"}.
TARGET_PREFIX = "Firehose_20150804"
_QUOTE_LIMIT = 128
# DeliveryStreamName (API reference): 1-64 characters of [a-zA-Z0-9_.-].
_STREAM_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
STREAM_NAME_MIN, STREAM_NAME_MAX = 1, 64


class SerializationError(FirehoseError):
    """``SerializationException``: the body cannot be read as the operation's input."""

    code = "SerializationException"


class UnknownOperationError(FirehoseError):
    """``UnknownOperationException``: no operation of this service is named by the target."""

    code = "UnknownOperationException"


def operation_for_target(target: str | None, operations: Collection[str]) -> str:
    """The operation ``X-Amz-Target`` names (``Firehose_20150804.PutRecord``), or raise."""
    prefix, dot, name = (target or "").partition(".")
    if prefix != TARGET_PREFIX or not dot or name not in operations:
        if not target:
            raise UnknownOperationError(
                "The request has no X-Amz-Target header naming an operation."
            )
        raise UnknownOperationError(f"X-Amz-Target {_quote(target)} names no Firehose operation.")
    return name


def parse_body(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or ``SerializationException``."""
    if not body.strip():
        raise SerializationError("The request body is empty; a JSON object is expected.")
    try:
        document = json.loads(body, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise SerializationError(f"The request body is not valid JSON: {_short(error)}") from None
    _check_container(document, "structure")
    return document


def decode_blob(text: str) -> bytes:
    """A blob member's bytes: strict, canonical base64, or Coral's ``SerializationException``.

    Fast for the valid case (the PutRecordBatch short path calls it for every record): the C
    decoder checks the alphabet; padding may only end the text, and the character before it
    must leave the unused bits zero (``QQ==``, not ``QR==``), which Coral checks too.
    """
    n = len(text)
    if n % 4 == 0 and text.find("=", 0, n - 2) == -1 and not (n and text[-2] == "=" != text[-1]):
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            pass
        else:
            if not text.endswith("="):
                return data
            if text[-3] in _PAD2 if text.endswith("==") else text[-2] in _PAD1:
                return data
    raise SerializationError(_blob_problem(text))


# Characters whose low bits are zero, before "==" (4 unused bits) and "=" (2 unused bits).
_PAD2 = frozenset("AQgw")
_PAD1 = frozenset("AEIMQUYcgkosw048")


def _blob_problem(text: str) -> str:
    head = f"{_quote(text)} can not be converted to a Blob: "
    if len(text) % 4:
        return (
            head + f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(text)}"
        )
    bad = re.search(r"[^a-zA-Z0-9+/=]|=[^=]", text)
    if bad:
        return head + f"Invalid Base64 character: '{bad.group()[0]}'"
    return head + "Invalid last non-pad Base64 character dectected"  # sic, Coral's spelling


def stream_name_violations(name: str, path: str = "deliveryStreamName") -> list[str]:
    """The ``DeliveryStreamName`` constraints ``name`` breaks (the short path's check)."""
    violations = []
    if not _STREAM_NAME.fullmatch(name):
        violations.append(
            _violation(name, path, f"satisfy regular expression pattern: {_STREAM_NAME.pattern}")
        )
    if len(name) < STREAM_NAME_MIN:
        violations.append(
            _violation(name, path, f"have length greater than or equal to {STREAM_NAME_MIN}")
        )
    if len(name) > STREAM_NAME_MAX:
        violations.append(
            _violation(name, path, f"have length less than or equal to {STREAM_NAME_MAX}")
        )
    return violations


def parse_request(target: str | None, body: bytes, service: Any) -> tuple[str, dict[str, Any]]:
    """``(operation name, parameters with blobs decoded)`` of a request, or the AWS error.

    ``service`` is the service model (a botocore ``ServiceModel``: ``operation_names``,
    ``operation_model(name).input_shape``).
    """
    name = operation_for_target(target, service.operation_names)
    document = parse_body(body)
    shape = service.operation_model(name).input_shape
    return name, validate_input(document, shape) if shape is not None else {}


def validate_input(document: Mapping[str, Any], shape: Any) -> dict[str, Any]:
    """``document`` checked against the input ``shape`` (types first, then constraints)."""
    violations: list[str] = []
    value = _walk(document, shape, "", violations)
    if violations:
        raise ValidationError(validation_message(violations))
    return value


# --- the walk over the shapes ----------------------------------------------------------------


def _no_constant(token: str) -> Any:
    # NaN, Infinity and -Infinity are not JSON (RFC 8259); Python's json accepts them.
    raise ValueError(f"Non-standard token '{token}'")


def _short(error: BaseException) -> str:
    text = str(error)
    return text if len(text) <= 200 else text[:200] + "..."


def _quote(value: str) -> str:
    shown = value if len(value) <= _QUOTE_LIMIT else value[:_QUOTE_LIMIT] + "..."
    return f"'{shown}'"


def _token(value: Any) -> str:
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    if isinstance(value, int | float):
        return "NUMBER_VALUE"
    return "STRING_VALUE"


def _wrong_type(value: Any, target: str) -> SerializationError:
    if isinstance(value, list):
        return SerializationError("Start of list found where not expected")
    if isinstance(value, dict):
        return SerializationError("Start of structure or map found where not expected.")
    article = "an" if target[0] in "AEIOU" else "a"
    return SerializationError(f"{_token(value)} can not be converted to {article} {target}")


# The JSON value a structure, list or map member is read from, and Coral's message when it gets
# a scalar instead (the other container gets _wrong_type's "Start of ... found where not expected").
_CONTAINERS: dict[str, tuple[type, str]] = {
    "structure": (dict, "Expected null"),
    "list": (list, "Expected list or null"),
    "map": (dict, "Expected map or null"),
}


def _check_container(value: Any, kind: str) -> None:
    expected, scalar_message = _CONTAINERS[kind]
    if not isinstance(value, expected):
        if isinstance(value, list | dict):
            raise _wrong_type(value, kind)
        raise SerializationError(scalar_message)


_TYPE_NAMES = {
    "string": "String",
    "integer": "Integer",
    "long": "Long",
    "boolean": "Boolean",
    "blob": "Blob",
    "double": "Double",
    "float": "Float",
    "timestamp": "Date",
}


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _violation(value: Any, path: str, constraint: str) -> str:
    if value is None:
        shown = "Value null"
    elif isinstance(value, str):
        shown = f"Value {_quote(value)}"
    elif isinstance(value, list) and not value:
        shown = "Value '[]'"
    elif isinstance(value, bool | int | float):
        shown = f"Value '{value}'"
    else:  # lists and blobs are not quoted (as in sandbox.firehose.limits' messages)
        shown = "Value"
    return f"{shown} at '{path}' failed to satisfy constraint: Member must {constraint}"


@lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(text)
    except re.error:  # Java-only syntax (\p{L}...): not checked, see the module docstring
        return None


def _walk(value: Any, shape: Any, path: str, violations: list[str]) -> Any:
    """The parsed value (blobs decoded); type errors raise, constraint violations collect."""
    kind = shape.type_name
    if kind in _CONTAINERS:
        _check_container(value, kind)
    if kind == "structure":
        out: dict[str, Any] = {}
        required = set(shape.required_members)
        for member, member_shape in shape.members.items():
            wire = member_shape.serialization.get("name", member)
            child_path = f"{path}.{_lower_first(wire)}" if path else _lower_first(wire)
            item = value.get(wire)
            if item is None:  # null and absent are the same to Coral
                if member in required:
                    violations.append(_violation(None, child_path, "not be null"))
                continue
            out[member] = _walk(item, member_shape, child_path, violations)
        return out
    if kind == "list":
        _length(value, len(value), shape, path, violations)
        return [
            _walk(item, shape.member, f"{path}.{i}.member", violations)
            for i, item in enumerate(value, start=1)
            if item is not None  # Coral drops null list elements
        ]
    if kind == "map":
        _length(value, len(value), shape, path, violations)
        return {
            key: _walk(item, shape.value, f"{path}.{key}", violations)
            for key, item in value.items()
            if item is not None
        }
    if kind == "string":
        if not isinstance(value, str):
            raise _wrong_type(value, "String")
        enum = shape.metadata.get("enum")
        pattern = shape.metadata.get("pattern")
        compiled = _pattern(pattern) if pattern else None
        if compiled is not None and not compiled.fullmatch(value):
            violations.append(
                _violation(value, path, f"satisfy regular expression pattern: {pattern}")
            )
        _length(value, len(value), shape, path, violations)
        if enum and value not in enum:
            violations.append(
                _violation(value, path, f"satisfy enum value set: [{', '.join(enum)}]")
            )
        return value
    if kind == "blob":
        if not isinstance(value, str):
            raise _wrong_type(value, "Blob")
        data = decode_blob(value)
        _length(data, len(data), shape, path, violations)
        return data
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _wrong_type(value, "Boolean")
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong_type(value, _TYPE_NAMES[kind])
        number = int(value)  # Coral truncates a fraction
        _range(number, shape, path, violations)
        return number
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong_type(value, _TYPE_NAMES[kind])
        _range(value, shape, path, violations)
        return float(value)
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _wrong_type(value, "Date")
        return value
    return value


def _length(value: Any, length: int, shape: Any, path: str, violations: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        violations.append(_violation(value, path, f"have length greater than or equal to {low}"))
    if high is not None and length > high:
        violations.append(_violation(value, path, f"have length less than or equal to {high}"))


def _range(value: float, shape: Any, path: str, violations: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        violations.append(_violation(value, path, f"have value greater than or equal to {low}"))
    if high is not None and value > high:
        violations.append(_violation(value, path, f"have value less than or equal to {high}"))
