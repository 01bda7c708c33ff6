"""Draw the figures of docs/gallery.md from the page's own code, and save them as PNG images.

The page is the single source: its ```python blocks run in order in one namespace (as
tests/test_docs_examples.py runs them), and every figure a block draws is saved under
the name of the next image linked after that block (``![...](img/gallery/NAME.png)``),
so the images show exactly what the code shown beside them draws.

Regenerate the committed images (needs matplotlib)::

    python docs/_gallery/make_gallery.py            # writes docs/img/gallery/*.png

The test suite runs ``main(tmp_path)``: it never rewrites the committed images.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent
PAGE = DOCS / "gallery.md"
IMAGES = DOCS / "img" / "gallery"
DPI = 100

# a top-level ```python block, or an image link into img/gallery/
TOKEN = re.compile(
    r"^```python[ \t]*\n(?P<code>.*?)^```[ \t]*$|!\[[^\]]*\]\((?P<image>img/gallery/[^)\s]+\.png)\)",
    re.DOTALL | re.MULTILINE,
)


def images(page: Path = PAGE) -> list[str]:
    """The file names of the gallery images the page links, in page order."""
    return [Path(m["image"]).name for m in TOKEN.finditer(page.read_text(encoding="utf-8")) if m["image"]]


def main(out_dir: str | Path = IMAGES, page: Path = PAGE) -> list[Path]:
    """Run the page's python blocks and save each figure they draw as ``out_dir/NAME.png``; return the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = page.read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "gallery"}
    waiting: list[int] = []  # figures drawn and not yet saved, oldest first
    written: list[Path] = []
    where = page.name
    plt.close("all")
    try:
        for match in TOKEN.finditer(text):
            if match["code"] is not None:
                if waiting:
                    raise RuntimeError(f"{where}: the block drew {len(waiting)} figure(s) with no image link after it")
                where = f"{page.name}:{text.count(chr(10), 0, match.start()) + 1}"
                before = set(plt.get_fignums())
                exec(compile(match["code"], where, "exec"), namespace)
                waiting = [n for n in plt.get_fignums() if n not in before]
                continue
            if not waiting:
                raise RuntimeError(f"{where}: the image {match['image']} follows no block that draws a figure")
            figure = plt.figure(waiting.pop(0))
            path = out / Path(match["image"]).name
            figure.savefig(path, dpi=DPI, metadata={"Software": None})  # no version stamp: stable files
            plt.close(figure)
            written.append(path)
        if waiting:
            raise RuntimeError(f"{where}: the block drew {len(waiting)} figure(s) with no image link after it")
    finally:
        plt.close("all")
    return written


if __name__ == "__main__":
    for path in main(sys.argv[1] if len(sys.argv) > 1 else IMAGES):
        print(path)
