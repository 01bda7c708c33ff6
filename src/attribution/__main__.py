"""``python -m attribution``: the command-line interface of :mod:`attribution.cli`."""

from attribution.cli import main

if __name__ == "__main__":  # not when merely imported, e.g. by a doctest collector
    raise SystemExit(main())
