"""The one way text from Glue or S3 becomes part of DuckDB SQL: a quoted identifier or literal.

Owns :func:`identifier` and :func:`literal`. Every name, location, SerDe parameter and
partition value the query stage writes into SQL goes through one of them, and generated SQL is
built by concatenating their results with constant text, never by substituting into SQL that
already holds such text (a column named ``a{partitions}`` once turned a placeholder into extra
statements). Both accept any Python string:

* ``"`` is doubled inside ``"..."`` and ``'`` inside ``'...'``; DuckDB's plain string literals
  have no backslash escapes, so nothing else is special (``;``, ``--``, ``$``, ``{}``, ``?``,
  newlines and any unicode stay inside the quotes);
* NUL ends DuckDB's SQL text early, so a literal holding NUL is spelled as a concatenation,
  ``'a' || chr(0) || 'b'`` (an expression, valid wherever DuckDB takes a constant expression:
  SELECT lists, CAST, a table function's file list); an identifier cannot hold NUL and is
  refused, as is a struct key holding NUL (:func:`struct_key`), and so is an empty name;
* lone surrogates (possible in JSON text, not in UTF-8) cannot reach DuckDB and are refused.

Not reproduced: nothing here knows Athena's identifier rules; names Athena would reject are
still quoted faithfully (the translation decides what a query may name).
"""

from __future__ import annotations

from sandbox.query.errors import UnsupportedError

_NUL = "\x00"


def _check_encodable(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsupportedError(f"{what} {text!r} that is not valid unicode") from None


def identifier(name: str) -> str:
    """``a"b`` -> ``"a""b"``: a DuckDB quoted identifier; UnsupportedError for NUL or ''."""
    if not name:
        raise UnsupportedError("an empty name")
    if _NUL in name:
        raise UnsupportedError(f"name {name!r} holding a NUL character")
    _check_encodable(name, "name")
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """``it's`` -> ``'it''s'``: a DuckDB string constant (with NUL, an equivalent expression)."""
    _check_encodable(value, "text")
    pieces = ["'" + piece.replace("'", "''") + "'" for piece in value.split(_NUL)]
    return " || chr(0) || ".join(pieces) if len(pieces) > 1 else pieces[0]


def struct_key(value: str) -> str:
    """A key of a ``{'k': v}`` struct constant: a plain literal (DuckDB allows no expression)."""
    if _NUL in value:
        raise UnsupportedError(f"key {value!r} holding a NUL character")
    return literal(value)
