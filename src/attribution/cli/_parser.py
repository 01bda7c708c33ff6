"""The command's options: columns, journeys, decisions, models and output."""

from __future__ import annotations

import argparse
from typing import NoReturn

import pandas as pd

from attribution._durations import parse_duration
from attribution.errors import AttributionError, JourneyError

__all__ = ["PROG", "CLIError", "build_parser"]

PROG = "attribution"

# Exit statuses, documented in --help and on the docs page
EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class CLIError(AttributionError):
    """A bad command-line argument or input file, reported as one line."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are exceptions, so ``main`` reports them in one line."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(message)


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser.

    Examples
    --------
    >>> args = build_parser().parse_args(["events.csv", "--lookback", "30D"])
    >>> args.events, args.lookback, args.user, args.format
    ('events.csv', Timedelta('30 days 00:00:00'), 'user_id', 'table')
    """
    from attribution import __version__

    parser = _Parser(
        prog=PROG,
        description=(
            "Build customer journeys from an event log (one row per touch or conversion), "
            "print their summary and compare attribution models."
        ),
        epilog="With no EVENTS file, the bundled sample (attribution.datasets.load_sample_events) is used. "
        "Exit status: 0 done; 2 bad input (an option, a file, the data: one line on stderr says what and how to "
        "fix it); 1 an unexpected failure (please report it); 130 interrupted.",
    )
    parser.add_argument(
        "events",
        nargs="?",
        metavar="EVENTS",
        help="event log: a .csv file (optionally compressed, e.g. .csv.gz) or a .parquet file",
    )
    columns = parser.add_argument_group("columns (defaults: the sample's names)")
    columns.add_argument("--user", default="user_id", metavar="COL", help="user id column (default: %(default)s)")
    columns.add_argument("--time", default="timestamp", metavar="COL", help="timestamp column (default: %(default)s)")
    times = columns.add_mutually_exclusive_group()
    times.add_argument(
        "--time-format",
        metavar="FORMAT",
        help="how to read times that are not ISO 8601, as strftime: e.g. '%%d/%%m/%%Y %%H:%%M' for 13/01/2024 08:30",
    )
    times.add_argument(
        "--time-unit",
        choices=("s", "ms", "us", "ns"),
        help="the unit of epoch-number times (s: Unix seconds)",
    )
    columns.add_argument(
        "--channel",
        default="channel",
        metavar="COL",
        help="channel column, null on conversions without a touch (default: %(default)s)",
    )
    columns.add_argument(
        "--conversion",
        default="converted",
        metavar="COL",
        help="conversion flag column, true/false or 1/0 (default: %(default)s)",
    )
    value = columns.add_mutually_exclusive_group()
    value.add_argument(
        "--value", default="revenue", metavar="COL", help="conversion value column (default: %(default)s)"
    )
    value.add_argument("--no-value", action="store_true", help="the log has no value column")
    journeys = parser.add_argument_group("journeys")
    journeys.add_argument(
        "--lookback",
        type=_duration,
        metavar="DURATION",
        help="drop touches longer than this before the conversion, e.g. 30D or 36h (default: no window)",
    )
    journeys.add_argument(
        "--max-touches", type=_positive_int, metavar="N", help="keep the N most recent touches per journey"
    )
    journeys.add_argument(
        "--no-split",
        action="store_true",
        help="do not split at conversions: each conversion's journey is every earlier touch of the user",
    )
    decisions = parser.add_argument_group("decisions")
    decisions.add_argument(
        "--by",
        metavar="KEYS",
        help="attribute each group on its own: comma-separated segment columns and/or 'period' "
        "(e.g. country,period); with --conversion-type, groups are per goal too",
    )
    decisions.add_argument(
        "--period",
        metavar="FREQ",
        help="the period of --by period: D, W, M, Q or Y (default: M)",
    )
    decisions.add_argument(
        "--conversion-type",
        metavar="COL",
        help="column naming each conversion's type (purchase, sign-up...): every type is its own goal",
    )
    decisions.add_argument(
        "--goals",
        metavar="TYPES",
        help="with --conversion-type: the comma-separated types that are conversions, instead of the "
        "--conversion column (e.g. --conversion-type event --goals purchase,sign-up)",
    )
    decisions.add_argument(
        "--spend",
        metavar="FILE",
        help="spend per channel, a CSV or Parquet file with columns channel and spend (and the --by keys): "
        "adds cost per conversion and return on ad spend (default for the bundled sample: its spend table)",
    )
    models = parser.add_argument_group("models")
    models.add_argument(
        "--models",
        metavar="NAMES",
        help="comma-separated models to compare, by the names compare() takes: first_touch, last_touch, "
        "last_non_direct, linear, u_shaped, j_curve, inverse_j, time_decay, shapley, shapley_rate, markov, "
        "counterfactual (default: every model that fits the journeys)",
    )
    models.add_argument(
        "--markov-order", type=_positive_int, metavar="K", help="order of the Markov chain model (default: 1)"
    )
    models.add_argument(
        "--half-life",
        type=_duration,
        metavar="DURATION",
        help="half-life of the time decay model, e.g. 7D or 36h (default: 7D)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--show",
        choices=("conversions", "value", "share", "roas"),
        default="conversions",
        help="what the table holds per channel and model: credited conversions, credited value, share of "
        "the credited conversions, or return on ad spend (needs spend; default: %(default)s)",
    )
    output.add_argument(
        "--format",
        choices=("table", "csv", "json", "parquet"),
        default="table",
        help="table: text that fits the terminal; csv, json, parquet: machine-readable (parquet needs --output "
        "and pyarrow) (default: %(default)s)",
    )
    output.add_argument("--output", metavar="FILE", help="write the result to FILE instead of standard output")
    output.add_argument(
        "--quiet", action="store_true", help="no progress line on stderr (it is drawn only on a terminal anyway)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _duration(text: str) -> pd.Timedelta:
    """A positive duration such as 30D or 36h (argparse names the option in its error)."""
    try:
        return parse_duration(text, "duration")
    except JourneyError:
        raise argparse.ArgumentTypeError(f"expected a positive duration such as 30D or 36h; got {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number; got {text!r}")
    return number
