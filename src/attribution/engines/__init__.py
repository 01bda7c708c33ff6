"""Journey builders that run inside other engines (optional extras, imported lazily).

Each returns exactly the :class:`~attribution.Journeys` that the pandas builder
:meth:`Journeys.from_events` returns on the same events; the models then run on it.
Importing this package registers the engines with :mod:`attribution.journeys.registry`
by the type of input each handles, without importing any engine: DuckDB, Spark or Dask
is imported only when an input of its kind arrives. To add an engine, write its module
here with a ``build(events, spec)`` function and register it below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attribution.journeys.registry import register_engine

__all__ = ["is_dask_input", "is_duckdb_input", "is_spark_input"]

_README_INSTALL = 'pip install {package} (or pip install ".[{extra}]" from a checkout of attribution)'


def is_duckdb_input(events: Any) -> bool:
    """Whether ``events`` is built inside DuckDB: a file path or glob, a DuckDB relation, Arrow, polars."""
    if isinstance(events, (str, Path)):
        return True
    return type(events).__module__.split(".")[0] in ("duckdb", "_duckdb", "pyarrow", "polars")


def is_spark_input(events: Any) -> bool:
    """Whether ``events`` is a Spark DataFrame (classic or Spark Connect)."""
    return type(events).__module__.startswith("pyspark.") and type(events).__name__ == "DataFrame"


def is_dask_input(events: Any) -> bool:
    """Whether ``events`` is a dask DataFrame."""
    module = type(events).__module__
    return module.startswith(("dask.", "dask_expr")) and type(events).__name__ == "DataFrame"


# registered last is asked first: the narrow predicates before DuckDB's catch-all for paths
register_engine(
    "duckdb",
    handles=is_duckdb_input,
    builder="attribution.engines.duckdb:build",
    requires=("duckdb", "pyarrow"),
    install=_README_INSTALL.format(package="duckdb pyarrow", extra="duckdb"),
)
register_engine(
    "spark",
    handles=is_spark_input,
    builder="attribution.engines.spark:build",
    requires=("pyspark", "pyarrow"),
    install=_README_INSTALL.format(package="pyspark pyarrow", extra="spark"),
)
register_engine(
    "dask",
    handles=is_dask_input,
    builder="attribution.engines.dask:build",
    requires=("dask",),
    install=_README_INSTALL.format(package="'dask[dataframe]'", extra="dask"),
)
