"""S3 prefix expressions and object keys, as the Firehose developer guide defines them.

Owns: parsing ``Prefix`` / ``ErrorOutputPrefix`` into literal text and ``!{namespace:value}``
expressions, the create-time rules on them ("Custom prefixes for Amazon S3 objects",
semantic rules), and evaluating them into object keys:

- ``!{timestamp:<Java pattern>}``: the approximate arrival time of the oldest record in the
  object, in ``CustomTimeZone`` (UTC by default); every use in one key is the same instant.
- ``!{firehose:random-string}``: 11 random characters, new for each use.
- ``!{firehose:error-output-type}``: ``processing-failed``, ``format-conversion-failed``...;
  only allowed in ``ErrorOutputPrefix``.
- ``!{partitionKeyFromQuery:k}`` / ``!{partitionKeyFromLambda:k}``: the record's partition key.

A prefix with no expression at all (including none) gets ``yyyy/MM/dd/HH/`` appended by plain
concatenation, no slash inserted (``logs`` -> ``logs2024/01/02/03/``); a prefix holding any
expression is used as evaluated. Without ``ErrorOutputPrefix`` (allowed only when ``Prefix``
has no expressions) failed records go to ``<prefix><error-output-type>/yyyy/MM/dd/HH/``; a
static ``ErrorOutputPrefix`` gets ``<error-output-type>/yyyy/MM/dd/HH/`` appended the same way.
Object names are ``<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid><extension>`` ("Configure
Amazon S3 object name format").

Not reproduced: AWS's exact message texts for prefix rules other than the one quoted below
(the others follow the same form with the documented rule as text); ``partitionKeyFromLambda``
values (no Lambda processor runs in the sandbox, so such keys are always missing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sandbox.core.javatime import CompiledPattern, PatternError, compile_pattern
from sandbox.firehose.errors import InvalidArgumentError

__all__ = [
    "DEFAULT_TIME_PATTERN",
    "ERROR_OUTPUT_TYPES",
    "Expression",
    "KeyLayout",
    "ParsedPrefix",
    "object_name",
    "parse_prefix",
]

DEFAULT_TIME_PATTERN = "yyyy/MM/dd/HH/"
NAMESPACES = ("timestamp", "firehose", "partitionKeyFromQuery", "partitionKeyFromLambda")
FIREHOSE_VALUES = ("random-string", "error-output-type")
# Custom prefixes, firehose namespace: the values error-output-type evaluates to.
ERROR_OUTPUT_TYPES = (
    "processing-failed",
    "format-conversion-failed",
    "AmazonOpenSearchService-failed",
    "splunk-failed",
    "http-endpoint-failed",
)
_SUFFIX_PATTERN = compile_pattern("yyyy-MM-dd-HH-mm-ss")
_DEFAULT_TIME = compile_pattern(DEFAULT_TIME_PATTERN)


def _constraint(text: str) -> InvalidArgumentError:
    # The wording (typo included) of AWS's answer, e.g. for a Prefix with expressions and no
    # ErrorOutputPrefix: "Ths supplied prefix(es) do not satisfy the following constraint:
    # ErrorOutputPrefix cannot be null or empty when Prefix contains expressions".
    return InvalidArgumentError(
        f"Ths supplied prefix(es) do not satisfy the following constraint: {text}"
    )


@dataclass(frozen=True)
class Expression:
    """One ``!{namespace:value}`` expression."""

    namespace: str
    value: str
    pattern: CompiledPattern | None = None


Segment = str | Expression


@dataclass(frozen=True)
class ParsedPrefix:
    """A prefix split into literal text and expressions."""

    text: str
    segments: tuple[Segment, ...]
    expressions: tuple[Expression, ...] = field(default=())

    @property
    def has_expressions(self) -> bool:
        return bool(self.expressions)

    @property
    def has_error_output_type(self) -> bool:
        return any(
            e.namespace == "firehose" and e.value == "error-output-type" for e in self.expressions
        )

    @property
    def partition_keys(self) -> tuple[tuple[str, str], ...]:
        """``(namespace, key)`` for every partition-key expression, in order, deduplicated."""
        seen: dict[tuple[str, str], None] = {}
        for e in self.expressions:
            if e.namespace.startswith("partitionKeyFrom"):
                seen[(e.namespace, e.value)] = None
        return tuple(seen)

    def render(
        self,
        moment: dt.datetime,
        partition: Mapping[tuple[str, str], str] | None = None,
        error_type: str | None = None,
        random_string: Callable[[], str] | None = None,
    ) -> str:
        """Evaluate the expressions; every timestamp uses ``moment``."""
        out: list[str] = []
        for segment in self.segments:
            if isinstance(segment, str):
                out.append(segment)
            elif segment.namespace == "timestamp":
                assert segment.pattern is not None
                out.append(segment.pattern.format(moment))
            elif segment.namespace == "firehose":
                if segment.value == "random-string":
                    out.append(random_string() if random_string else _random_11())
                else:
                    out.append(error_type or "processing-failed")
            else:
                value = (partition or {}).get((segment.namespace, segment.value))
                if value is None:
                    raise KeyError(f"{segment.namespace}:{segment.value}")
                out.append(value)
        return "".join(out)


def _random_11() -> str:
    import uuid

    # The documented example output ("046b6c7f-0b") is the head of a UUID.
    return str(uuid.uuid4())[:11]


def parse_prefix(text: str | None, *, field_name: str = "Prefix") -> ParsedPrefix:
    """Split a prefix into segments; raise ``InvalidArgumentError`` for a malformed one."""
    text = text or ""
    segments: list[Segment] = []
    expressions: list[Expression] = []
    i = 0
    literal: list[str] = []
    while i < len(text):
        start = text.find("!{", i)
        if start < 0:
            literal.append(text[i:])
            break
        literal.append(text[i:start])
        end = text.find("}", start + 2)
        if end < 0:
            raise _constraint(
                f"{field_name}: the sequence !{{ can only appear in !{{namespace:value}} "
                "expressions"
            )
        body = text[start + 2 : end]
        namespace, sep, value = body.partition(":")
        if not sep or namespace not in NAMESPACES:
            raise _constraint(
                f"{field_name}: '!{{{body}}}' is not a valid expression; the namespace must be "
                "one of " + ", ".join(NAMESPACES)
            )
        if not value:
            raise _constraint(f"{field_name}: the expression '!{{{body}}}' has no value")
        pattern = None
        if namespace == "timestamp":
            try:
                pattern = compile_pattern(value)
            except PatternError as error:
                raise _constraint(
                    f"{field_name}: '{value}' is not a valid DateTimeFormatter pattern ({error})"
                ) from error
        elif namespace == "firehose" and value not in FIREHOSE_VALUES:
            raise _constraint(
                f"{field_name}: the firehose namespace only supports "
                + " and ".join(FIREHOSE_VALUES)
            )
        if literal:
            segments.append("".join(literal))
            literal = []
        expression = Expression(namespace, value, pattern)
        segments.append(expression)
        expressions.append(expression)
        i = end + 1
    if literal and "".join(literal):
        segments.append("".join(literal))
    return ParsedPrefix(text, tuple(segments), tuple(expressions))


def object_name(stream: str, version: str, moment: dt.datetime, random_part: str) -> str:
    """``<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<random>`` (extension added by the caller)."""
    return f"{stream}-{version}-{_SUFFIX_PATTERN.format(moment)}-{random_part}"


@dataclass(frozen=True)
class KeyLayout:
    """A stream's Prefix and ErrorOutputPrefix, validated and ready to evaluate."""

    prefix: ParsedPrefix
    error_prefix: ParsedPrefix | None

    @classmethod
    def from_destination(
        cls, prefix: str | None, error_prefix: str | None, *, dynamic_partitioning: bool
    ) -> KeyLayout:
        parsed = parse_prefix(prefix, field_name="Prefix")
        parsed_error = (
            parse_prefix(error_prefix, field_name="ErrorOutputPrefix") if error_prefix else None
        )
        if parsed.has_error_output_type:
            raise _constraint("Prefix cannot contain !{firehose:error-output-type}")
        if parsed.has_expressions and parsed_error is None:
            raise _constraint(
                "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"
            )
        if parsed_error is not None:
            if parsed_error.has_expressions and not parsed_error.has_error_output_type:
                raise _constraint(
                    "ErrorOutputPrefix must contain !{firehose:error-output-type} when it "
                    "contains expressions"
                )
            if parsed_error.partition_keys:
                raise _constraint(
                    "ErrorOutputPrefix cannot contain partitionKeyFromQuery or "
                    "partitionKeyFromLambda expressions"
                )
        if parsed.partition_keys and not dynamic_partitioning:
            raise _constraint(
                "Prefix can contain partitionKeyFromQuery or partitionKeyFromLambda expressions "
                "only when dynamic partitioning is enabled"
            )
        if dynamic_partitioning:
            # Dynamic partitioning, "Amazon S3 bucket prefix": with dynamic partitioning "you
            # must specify an S3 error bucket prefix" and a prefix made of partition keys.
            if parsed_error is None:
                raise _constraint(
                    "ErrorOutputPrefix cannot be null or empty when dynamic partitioning is enabled"
                )
            if not parsed.partition_keys:
                raise _constraint(
                    "Prefix must contain at least one partitionKeyFromQuery or "
                    "partitionKeyFromLambda expression when dynamic partitioning is enabled"
                )
        return cls(parsed, parsed_error)

    @property
    def partition_keys(self) -> tuple[tuple[str, str], ...]:
        return self.prefix.partition_keys

    def data_prefix(
        self,
        moment: dt.datetime,
        partition: Mapping[tuple[str, str], str] | None = None,
        random_string: Callable[[], str] | None = None,
    ) -> str:
        """The evaluated ``Prefix`` for an object whose oldest record arrived at ``moment``."""
        if not self.prefix.has_expressions:
            return self.prefix.text + _DEFAULT_TIME.format(moment)
        return self.prefix.render(moment, partition, random_string=random_string)

    def error_output_prefix(
        self, moment: dt.datetime, error_type: str, random_string: Callable[[], str] | None = None
    ) -> str:
        """The evaluated ``ErrorOutputPrefix`` for failed records of ``error_type``."""
        if self.error_prefix is None:
            return f"{self.prefix.text}{error_type}/{_DEFAULT_TIME.format(moment)}"
        if not self.error_prefix.has_expressions:
            return f"{self.error_prefix.text}{error_type}/{_DEFAULT_TIME.format(moment)}"
        return self.error_prefix.render(moment, error_type=error_type, random_string=random_string)
