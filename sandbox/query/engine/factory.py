"""Choosing the engine a command runs on: the DuckDB stand-in (default) or, only when asked for
by name, real Athena; defaults (database, workgroup) from the Terraform outputs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sandbox.infra.outputs import Outputs, OutputsMissingError, read_outputs
from sandbox.query.engine.pricing import DEFAULT_PRICES, Prices
from sandbox.query.errors import QueryError
from sandbox.settings import Settings

ENGINES = ("duckdb", "athena")


def outputs_or_none(settings: Settings) -> Outputs | None:
    """The Terraform outputs, or None before ``make up`` (options then name what is needed)."""
    try:
        return read_outputs(settings)
    except OutputsMissingError:
        return None


@dataclass(frozen=True)
class EngineOptions:
    """How a command's statements run: which engine, where, at what price (the CLI's options)."""

    engine: str = "duckdb"
    database: str | None = None  # default: the Terraform outputs' database
    workgroup: str | None = None  # --engine athena only; default: the outputs' workgroup
    prices: Prices = DEFAULT_PRICES
    undelimited_json: str = "warn"  # JSON objects without newlines: read and warn, or fail


DEFAULT_OPTIONS = EngineOptions()


@contextmanager
def open_engine(
    settings: Settings, options: EngineOptions = DEFAULT_OPTIONS, outputs: Outputs | None = None
) -> Iterator[Any]:
    """An engine with ``execute(athena_sql) -> Result``, closed on exit."""
    outputs = outputs or outputs_or_none(settings)
    engine, database, workgroup = options.engine, options.database, options.workgroup
    prices = options.prices
    if engine == "athena":
        from sandbox.query.engine.athena import AthenaEngine

        workgroup = workgroup or (outputs.workgroup if outputs else None)
        database = database or (outputs.database if outputs else None)
        if not workgroup or not database:
            raise QueryError(
                "--engine athena needs --workgroup and --database (no Terraform outputs)"
            )
        yield AthenaEngine.for_aws(
            settings, workgroup=workgroup, database=database, confirm=True, prices=prices
        )
        return
    if engine != "duckdb":
        raise QueryError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    from sandbox.query.engine.session import Session

    database = database or (outputs.database if outputs else None)
    with Session(
        settings, database=database, prices=prices, undelimited_json=options.undelimited_json
    ) as session:
        yield session
