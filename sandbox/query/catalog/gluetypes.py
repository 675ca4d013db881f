"""Glue (Hive) column types to DuckDB types.

Owns the mapping for every type a Glue table can declare: primitives, ``decimal(p,s)``,
``char(n)``/``varchar(n)`` and the nested ``array<>``, ``map<,>`` and ``struct<>`` types. An
unknown type raises :class:`~sandbox.query.errors.UnsupportedError` naming it.

Not reproduced: length limits of ``char``/``varchar`` (DuckDB's VARCHAR is unbounded), the
padding of ``char``, and Athena's millisecond precision of ``timestamp`` (DuckDB keeps
microseconds).
"""

from __future__ import annotations

import re

from sandbox.query.errors import UnsupportedError

PRIMITIVES = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "char": "VARCHAR",
    "boolean": "BOOLEAN",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "binary": "BLOB",
}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def duckdb_type(glue_type: str) -> str:
    """The DuckDB type for a Glue type: ``map<string,int>`` -> ``MAP(VARCHAR, INTEGER)``."""
    parser = _TypeParser(glue_type)
    result = parser.parse_type()
    parser.skip_spaces()
    if parser.pos != len(parser.text):
        raise UnsupportedError(f"Glue column type {glue_type!r}")
    return result


def is_temporal(glue_type: str) -> bool:
    """True for the types a text SerDe must parse from strings (``timestamp``, ``date``)."""
    return glue_type.strip().lower() in ("timestamp", "date")


class _TypeParser:
    """A small recursive-descent parser over Hive's type grammar."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def expect(self, char: str) -> None:
        self.skip_spaces()
        if not self.text.startswith(char, self.pos):
            raise UnsupportedError(f"Glue column type {self.text!r}")
        self.pos += 1

    def peek(self) -> str:
        self.skip_spaces()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def ident(self) -> str:
        self.skip_spaces()
        match = _IDENT.match(self.text, self.pos)
        if not match:
            raise UnsupportedError(f"Glue column type {self.text!r}")
        self.pos = match.end()
        return match.group(0)

    def number_list(self) -> list[int]:
        self.expect("(")
        numbers = []
        while True:
            self.skip_spaces()
            match = re.compile(r"\d+").match(self.text, self.pos)
            if not match:
                raise UnsupportedError(f"Glue column type {self.text!r}")
            numbers.append(int(match.group(0)))
            self.pos = match.end()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect(")")
            return numbers

    def parse_type(self) -> str:
        name = self.ident().lower()
        if name == "array":
            self.expect("<")
            inner = self.parse_type()
            self.expect(">")
            return f"{inner}[]"
        if name == "map":
            self.expect("<")
            key = self.parse_type()
            self.expect(",")
            value = self.parse_type()
            self.expect(">")
            return f"MAP({key}, {value})"
        if name == "struct":
            self.expect("<")
            fields = []
            while True:
                field = self.ident()
                self.expect(":")
                fields.append(f'"{field}" {self.parse_type()}')
                if self.peek() == ",":
                    self.pos += 1
                    continue
                self.expect(">")
                return f"STRUCT({', '.join(fields)})"
        if name == "decimal":
            if self.peek() == "(":
                numbers = self.number_list()
                precision, scale = [*numbers, 0][:2]
                return f"DECIMAL({precision}, {scale})"
            return "DECIMAL(10, 0)"  # Hive's default precision and scale
        if name in ("char", "varchar") and self.peek() == "(":
            self.number_list()
            return "VARCHAR"
        if name in PRIMITIVES:
            return PRIMITIVES[name]
        raise UnsupportedError(f"Glue column type {self.text!r}")
