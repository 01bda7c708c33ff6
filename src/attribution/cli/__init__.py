"""``python -m attribution``: summarise journeys and compare attribution models from a terminal.

Read an event log (CSV or Parquet; the bundled sample when no file is given), build
journeys with :meth:`attribution.Journeys.from_events`, print their summary and then
the credits of every attribution model, in a table that fits the terminal::

    python -m attribution                                   # the bundled sample
    python -m attribution events.parquet --lookback 30D --format json
    python -m attribution events.csv --user visitor --time ts --channel source \\
        --conversion purchase --value amount --show share --output shares.csv --format csv

Failures never show a traceback: the command prints one line
``attribution: error: <message>`` on stderr and exits with status 2 for bad input
(arguments, files, data), 1 for anything else (a bug: please report it), 130 when
interrupted.
"""

from __future__ import annotations

from attribution.cli._parser import CLIError, build_parser
from attribution.cli._run import ROAS_MODELS, main, select_models
from attribution.models.registry import MODELS

__all__ = ["MODELS", "ROAS_MODELS", "CLIError", "build_parser", "main", "select_models"]
