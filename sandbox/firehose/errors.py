"""Firehose API errors raised by the engine's validators, with AWS's error codes.

Owns: the exception types the LocalStack adapter turns into AWS error responses
(``code`` is the AWS error code, ``message`` the AWS-style message). Smithy-level model
violations (enum values, lengths, list sizes) are ``ValidationException`` with AWS's
"N validation error(s) detected: ..." wording; semantic checks are
``InvalidArgumentException``; a stale ``CurrentDeliveryStreamVersionId`` is
``ConcurrentModificationException`` and an unknown stream ``ResourceNotFoundException``.

Not reproduced: ``InvalidParameterValueException`` for malformed role ARNs (the sandbox
validates no IAM ARNs).
"""

from __future__ import annotations

__all__ = [
    "ConcurrentModificationError",
    "FirehoseError",
    "InvalidArgumentError",
    "ResourceNotFoundError",
    "ValidationError",
    "validation_message",
]


class FirehoseError(Exception):
    """An AWS Firehose API error: ``code`` is the AWS error code, ``message`` its text."""

    code = "InternalFailure"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidArgumentError(FirehoseError):
    """``InvalidArgumentException``: a semantically invalid argument."""

    code = "InvalidArgumentException"


class ValidationError(FirehoseError):
    """``ValidationException``: a value breaks a constraint of the API model."""

    code = "ValidationException"


class ConcurrentModificationError(FirehoseError):
    """``ConcurrentModificationException``: the stream changed since the caller described it."""

    code = "ConcurrentModificationException"


class ResourceNotFoundError(FirehoseError):
    """``ResourceNotFoundException``: no delivery stream of that name."""

    code = "ResourceNotFoundException"


def validation_message(violations: list[str]) -> str:
    """AWS's Smithy wording for one or more model-constraint violations."""
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(violations)
