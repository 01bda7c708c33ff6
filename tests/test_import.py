"""``import attribution`` is silent, warning-free and light."""

from __future__ import annotations

import subprocess
import sys

OPTIONAL = ["matplotlib", "duckdb", "pyspark", "dask", "polars", "tqdm", "hypothesis", "pytest"]


def test_import_prints_nothing_warns_nothing_and_loads_no_optional_extra() -> None:
    code = f"import sys, attribution, attribution.journeys; print(sorted(m for m in {OPTIONAL!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr == ""
    assert result.stdout == "[]\n"


def test_public_names() -> None:
    import attribution

    assert set(attribution.__all__) >= {"Journeys", "JourneyError", "AttributionError", "concat"}
    assert isinstance(attribution.__version__, str)
