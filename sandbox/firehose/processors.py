"""Record processors: MetadataExtraction (inline JQ parsing) and AppendDelimiterToRecord.

Owns: running a stream's ``MetadataExtractionQuery`` on the real ``jq`` library to get each
record's partition keys ("Dynamic partitioning", "Partitioning keys": inline parsing with the
jq parser, JQ-1.6), and the newline of ``AppendDelimiterToRecord``.

The query is compiled once per stream and a whole PutRecordBatch is evaluated in one jq call:
each record is framed as ``[index, <record>]`` so that a record which is not exactly one JSON
value (empty, two values, an unterminated string...) cannot shift the others, and query errors
are caught inside jq (``try ... catch``) per record. Only a batch holding invalid JSON (jq
stops at the first parse error) is split in halves until the bad records are isolated, so one
bad record costs about log2(batch) extra jq calls.

Given a :class:`~sandbox.firehose.jq_worker.JqWorkers` pool (the LocalStack provider owns one
and hands it to its engines, which hand it to each stream's extractor), large batches are
evaluated by jq in helper processes, so that the request threads keep the GIL for the rest of
their work; the results are the same, and any worker failure falls back to evaluating
in-process.

A :class:`ResultMemo` remembers the last results of one query per record (the engine shares
one between the streams that use the same query): jq's parser costs about 8 us per record, and
the article sends every record to two streams with the same query. Only queries whose result
depends on nothing but the record are memoised (not those that use ``now``, ``input``, ``env``,
``$ENV``, ``debug``, ``halt``... see ``NON_DETERMINISTIC``).

A record fails (-> error output, ``processing-failed``, errorCode
``DynamicPartitioning.MetadataExtractionFailed``) when it is not JSON or not UTF-8, when the
query raises, yields no or several results or a non-object, or when a partition key the
prefix uses is missing, null, empty or not a scalar.

Not reproduced: the Lambda, RecordDeAggregation, Decompression and CloudWatchLogProcessing
processors (records pass through them unchanged), and jq 1.6 specifics: the library bundles a
newer jq (1.7+), whose builtins are a superset of 1.6's.
"""

from __future__ import annotations

import decimal
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import jq

from sandbox.firehose.errors import InvalidArgumentError
from sandbox.firehose.jq_worker import JqWorkers, WorkerUnavailable

__all__ = [
    "METADATA_EXTRACTION_FAILED",
    "ExtractionFailure",
    "MetadataExtractor",
    "ResultMemo",
    "compile_query",
    "is_deterministic",
]

METADATA_EXTRACTION_FAILED = "DynamicPartitioning.MetadataExtractionFailed"
NON_JSON = "Non JSON record provided"
_ERROR_KEY = "__sandbox_jq_error__"
# jq builtins whose result depends on more than the input value (time, environment, other
# inputs, the position in the input, side effects). A match anywhere, even inside a string
# literal, only turns the memo off.
NON_DETERMINISTIC = re.compile(
    r"(?<![\w$])(now|inputs?|input_line_number|input_filename|env|\$ENV|\$__loc__|\$__prog_args"
    r"|debug|stderr|halt|halt_error|get_search_list|get_jq_origin|get_prog_origin)(?!\w)"
)


@dataclass(frozen=True, slots=True)
class ExtractionFailure:
    """Why one record could not be partitioned."""

    code: str
    message: str


def compile_query(query: str) -> jq._Program:
    """Compile a MetadataExtractionQuery, wrapped for framed batch evaluation."""
    try:
        jq.compile(query)
    except ValueError as error:
        raise InvalidArgumentError(
            f"MetadataExtractionQuery is not a valid JQ expression: {error}"
        ) from error
    wrapped = (
        "[.[0], (if length == 2 then (.[1] | try [" + query + "] catch {"
        f'"{_ERROR_KEY}": (. | tostring)' + "}) "
        f'else {{"{_ERROR_KEY}": "{NON_JSON}"}} end)]'
    )
    return jq.compile(wrapped)


# Batches smaller than this are evaluated in-process (a worker round trip costs ~0.4 ms).
MIN_WORKER_TEXT = 16 * 1024


def is_deterministic(query: str) -> bool:
    """True when ``query``'s result depends on the record alone (so it may be memoised)."""
    return NON_DETERMINISTIC.search(query) is None


Result = tuple[str, ...] | ExtractionFailure


class ResultMemo:
    """The last ``capacity`` records' results of one query, oldest forgotten first.

    It also hands back the first copy it saw of each record, so that two streams buffering
    the same records share one ``bytes`` object per record instead of holding two.
    """

    def __init__(self, capacity: int = 65_536) -> None:
        self.capacity = capacity
        self._data: OrderedDict[bytes, tuple[bytes, Result]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def lookup(self, records: Sequence[bytes]) -> list[tuple[bytes, Result] | None]:
        """``(first copy of the record, result)`` for each record seen before, else None."""
        get = self._data.get
        with self._lock:
            found = [get(record) for record in records]
        hits = len(found) - found.count(None)
        self.hits += hits
        self.misses += len(found) - hits
        return found

    def store(self, pairs: Sequence[tuple[bytes, Result]]) -> None:
        with self._lock:
            data = self._data
            for record, result in pairs:
                data[record] = (record, result)
            while len(data) > self.capacity:
                data.popitem(last=False)


def _scalar(value: object) -> str | None:
    """A partition value as text, or None when the value cannot be a partition key."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return jq_number(value)
    return None


def jq_number(value: float) -> str:
    """A number as jq 1.6 prints it (the version the developer guide names).

    jq holds every number as an IEEE double and prints it with ``jvp_dtoa_fmt`` (jq's
    ``src/jv_dtoa.c``): the shortest digits that read back to the same double, in exponent
    form when the decimal point is more than 15 places past them or before ``1e-4``
    (``1.5e+308``, ``1e-05``), else positional (``123456789012345680000000000000``). The
    ``jq`` binding returns integral doubles as exact Python ints (1.5e308 as a 309-digit
    int), which is not what jq prints.
    """
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return "null"  # jq prints nan as null; infinities cannot come out of its parser
    if number == 0:
        return "-0" if str(number).startswith("-") else "0"
    sign, digit_tuple, exponent = decimal.Decimal(repr(number)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent)  # the decimal point's place after the first digit
    prefix = "-" if sign else ""
    if point <= -4 or point > len(digits) + 15:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        power = point - 1
        return f"{prefix}{mantissa}e{'+' if power >= 0 else '-'}{abs(power):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return prefix + digits + "0" * (point - len(digits))
    return f"{prefix}{digits[:point]}.{digits[point:]}"


class MetadataExtractor:
    """Evaluates one stream's query and returns the partition-key values per record.

    ``workers``: where large batches are evaluated (None: always in this process).
    """

    def __init__(
        self,
        query: str,
        keys: Sequence[str],
        memo: ResultMemo | None = None,
        workers: JqWorkers | None = None,
    ) -> None:
        self.query = query
        self.keys = tuple(keys)
        self._program = compile_query(query)
        self.memo = memo if memo is not None and is_deterministic(query) else None
        self.workers = workers

    def extract(self, records: Sequence[bytes]) -> list[tuple[str, ...] | ExtractionFailure]:
        """Partition values (in ``keys`` order) or an ``ExtractionFailure`` for each record."""
        return self.partition(records)[1]

    def partition(
        self, records: Sequence[bytes]
    ) -> tuple[list[bytes], list[tuple[str, ...] | ExtractionFailure]]:
        """The records (equal copies the memo already holds where it has them) and results."""
        memo = self.memo
        out = list(records)
        results: list[Result | None]
        if memo is None:
            results = [None] * len(records)
            missing = list(range(len(records)))
        else:
            results = [None] * len(records)
            missing = []
            for i, found in enumerate(memo.lookup(records)):
                if found is None:
                    missing.append(i)
                else:
                    out[i], results[i] = found
        if missing:
            self._evaluate(records, missing, results)
            for i in missing:
                if results[i] is None:
                    results[i] = ExtractionFailure(METADATA_EXTRACTION_FAILED, NON_JSON)
            if memo is not None:
                memo.store([(records[i], results[i]) for i in missing])  # type: ignore[misc]
        return out, results  # type: ignore[return-value]

    # -- internals ------------------------------------------------------------------------

    def _evaluate(
        self,
        records: Sequence[bytes],
        indexes: list[int],
        results: list[tuple[str, ...] | ExtractionFailure | None],
    ) -> None:
        if not indexes:
            return
        try:
            text = b"\n".join(b"[%d,%b]" % (i, records[i]) for i in indexes).decode("utf-8")
        except UnicodeDecodeError:
            if len(indexes) == 1:
                results[indexes[0]] = ExtractionFailure(METADATA_EXTRACTION_FAILED, NON_JSON)
                return
            self._split(records, indexes, results)
            return
        try:
            outputs = self._run(text)
        except (ValueError, RecursionError):
            # jq refused the text, or its result is nested too deep to become Python values
            # (a query that returns the record, on a record nested thousands deep): split, so
            # that only the record that causes it fails.
            outputs = None
        if outputs is not None and self._aligned(outputs, indexes):
            for index, value in outputs:
                results[index] = self._interpret(value)
            return
        if len(indexes) == 1:
            results[indexes[0]] = ExtractionFailure(METADATA_EXTRACTION_FAILED, NON_JSON)
            return
        self._split(records, indexes, results)

    def _run(self, text: str) -> list:
        """The wrapped program's outputs for ``text``; ``ValueError`` when jq rejects it."""
        workers = self.workers
        if workers is not None and len(text) >= MIN_WORKER_TEXT:
            try:
                return workers.run(self.query, text)
            except WorkerUnavailable:
                pass  # the same evaluation, in this process
        return self._program.input_text(text).all()

    def _split(
        self,
        records: Sequence[bytes],
        indexes: list[int],
        results: list[tuple[str, ...] | ExtractionFailure | None],
    ) -> None:
        middle = len(indexes) // 2
        self._evaluate(records, indexes[:middle], results)
        self._evaluate(records, indexes[middle:], results)

    @staticmethod
    def _aligned(outputs: list, indexes: list[int]) -> bool:
        if len(outputs) != len(indexes):
            return False
        for output, index in zip(outputs, indexes, strict=True):
            if not isinstance(output, list) or len(output) != 2 or output[0] != index:
                return False
        return True

    def _interpret(self, value: object) -> tuple[str, ...] | ExtractionFailure:
        if isinstance(value, dict):
            message = str(value.get(_ERROR_KEY))
            if message == NON_JSON:
                return ExtractionFailure(METADATA_EXTRACTION_FAILED, NON_JSON)
            return ExtractionFailure(
                METADATA_EXTRACTION_FAILED,
                f"Failed to evaluate the MetadataExtractionQuery: {message}",
            )
        assert isinstance(value, list)
        if len(value) != 1:
            return ExtractionFailure(
                METADATA_EXTRACTION_FAILED,
                f"The MetadataExtractionQuery produced {len(value)} results; exactly one "
                "JSON object is required",
            )
        result = value[0]
        if not isinstance(result, dict):
            return ExtractionFailure(
                METADATA_EXTRACTION_FAILED,
                "The MetadataExtractionQuery result must be a JSON object",
            )
        values = []
        for key in self.keys:
            text = _scalar(result.get(key))
            if text is None:
                return ExtractionFailure(
                    METADATA_EXTRACTION_FAILED,
                    f"Partition key '{key}' is missing, null, empty or not a scalar in the "
                    "MetadataExtractionQuery result",
                )
            values.append(text)
        return tuple(values)


def processor_parameters(processor: dict) -> dict:
    """A processor's ``Parameters`` list as ``{ParameterName: ParameterValue}``."""
    return {
        p.get("ParameterName"): p.get("ParameterValue") for p in processor.get("Parameters") or []
    }
