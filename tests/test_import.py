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


def test_attribution_testing_without_hypothesis_says_what_to_install() -> None:
    """With hypothesis hidden, importing attribution.testing is an ImportError naming the fix."""
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import importlib.util, importlib.machinery\n"
        "original = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'hypothesis' else original(name, *a)\n"
        "try:\n"
        "    import attribution.testing\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "attribution.testing needs hypothesis" in result.stdout
    assert 'pip install ".[testing]"' in result.stdout


def test_attribution_testing_with_hypothesis_gives_the_contract() -> None:
    from attribution.testing import check_model

    assert callable(check_model)
