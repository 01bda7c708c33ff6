"""The docs gallery: every image it links is drawn by the page's own code, and is committed.

``docs/_gallery/make_gallery.py`` runs the python blocks of ``docs/gallery.md`` and saves
each figure under the name of the image linked after its block. Here it writes into a
temporary folder: a test run never rewrites the committed images.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "img" / "gallery"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _make_gallery() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_gallery", ROOT / "docs" / "_gallery" / "make_gallery.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, from its header."""
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def _digests() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(COMMITTED.glob("*.png"))}


def test_the_gallery_links_the_figures_of_every_plotting_function() -> None:
    names = _make_gallery().images()
    assert names == [
        "comparison-heatmap.png",
        "comparison-dots.png",
        "journey-map.png",
        "transitions.png",
        "truth-vs-model.png",
        "bootstrap.png",
        "roas.png",
        "positions.png",
    ]
    page = (ROOT / "docs" / "gallery.md").read_text(encoding="utf-8")
    import attribution.plotting

    drawing = [name for name in attribution.plotting.__all__ if name.startswith("plot_")]
    assert all(f"{name}(" in page for name in drawing if name != "plot_comparison")
    assert "comparison.plot()" in page


def test_every_linked_image_is_committed_and_no_other() -> None:
    assert sorted(_digests()) == sorted(_make_gallery().images())


def test_the_page_code_draws_every_image_without_touching_the_committed_ones(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    gallery = _make_gallery()
    before = _digests()
    written = gallery.main(tmp_path)
    assert [p.name for p in written] == gallery.images()
    for path in written:
        assert path.parent == tmp_path
        width, height = _size(path)
        assert width >= 600
        assert height >= 300
        assert path.stat().st_size > 20_000  # a drawn figure, not an empty canvas
        # the committed image is the same figure (the same size within a few pixels: a tight bounding box
        # moves by a pixel with the fonts and the matplotlib version of the machine)
        committed = _size(COMMITTED / path.name)
        assert abs(committed[0] - width) <= 4, f"{path.name}: regenerate the gallery images"
        assert abs(committed[1] - height) <= 4, f"{path.name}: regenerate the gallery images"
    assert _digests() == before


def test_an_image_without_a_figure_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n```\n\n![nothing](img/gallery/nothing.png)\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"the image img/gallery/nothing.png follows no block that draws a figure"):
        _make_gallery().main(tmp_path / "out", page=page)


def test_a_figure_without_an_image_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    page = tmp_path / "page.md"
    page.write_text("```python\nimport matplotlib.pyplot as plt\nplt.figure()\n```\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"page.md:1: the block drew 1 figure\(s\) with no image link after it"):
        _make_gallery().main(tmp_path / "out", page=page)
