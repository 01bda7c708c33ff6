"""``python -m attribution``: summarise journeys and compare attribution models from a terminal.

Read an event log (CSV or Parquet; the bundled sample when no file is given), build
journeys with :meth:`attribution.Journeys.from_events`, print their summary and then
the credits of every attribution model in :data:`MODELS`::

    python -m attribution                                   # the bundled sample
    python -m attribution events.parquet --lookback 30D --format json
    python -m attribution events.csv --user visitor --time ts --channel source \\
        --conversion purchase --value amount

Failures never show a traceback: the command prints one line
``attribution: error: <message>`` on stderr and exits with status 2 for bad input
(arguments, files, data), or 1 for anything else (a bug: please report it).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

import pandas as pd

from attribution._durations import parse_duration
from attribution.compare import compare, default_models
from attribution.errors import AttributionError, JourneyError, ParameterError
from attribution.journeys import Journeys, JourneysSummary
from attribution.models.registry import MODELS

__all__ = ["MODELS", "CLIError", "build_parser", "main", "select_models"]

PROG = "attribution"

_CSV_SUFFIXES = {".csv"}
_COMPRESSION_SUFFIXES = {".gz", ".bz2", ".zip", ".xz", ".zst", ".tar"}  # pandas infers these for CSV
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_PARQUET_HINT = 'reading Parquet files needs pyarrow: pip install "multitouch-attribution[parquet]"'


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
        epilog="With no EVENTS file, the bundled sample (attribution.datasets.load_sample_events) is used.",
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
        default="M",
        metavar="FREQ",
        help="the period of --by period: D, W, M, Q or Y (default: %(default)s)",
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
    output = parser.add_argument_group("output")
    output.add_argument(
        "--models", metavar="NAMES", help="comma-separated models to compare (default: every available model)"
    )
    output.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table: readable text; csv, json: machine-readable on stdout (default: %(default)s)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _duration(text: str) -> pd.Timedelta:
    try:
        return parse_duration(text, "lookback")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status (0 on success, 2 on bad input).

    Parameters
    ----------
    argv
        The arguments, without the program name; ``sys.argv[1:]`` when omitted.

    Examples
    --------
    >>> main(["--models", "no-such-model"])  # the error line goes to stderr
    2
    """
    try:
        args = build_parser().parse_args(argv)
        models = select_models(args.models)
        keys = _group_keys(args)
        events, source = _load_events(args)
        if args.goals is not None:
            events = _flag_goals(events, args)
        journeys = Journeys.from_events(
            events,
            user=args.user,
            time=args.time,
            channel=args.channel,
            conversion=args.conversion,
            value=None if args.no_value else args.value,
            lookback=args.lookback,
            max_touches=args.max_touches,
            split_on_conversion=not args.no_split,
            time_format=args.time_format,
            time_unit=args.time_unit,
            segments=[k for k in keys if k not in ("period", "conversion_type")],
            conversion_type=args.conversion_type,
        )
        spend = _load_spend(args, keys)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            credits = _attribute(journeys, models, keys, args.period)
            roas = None if spend is None else _roas(journeys, models, keys, args.period, spend)
        for warning in caught:  # advice from a model, e.g. no non-converting journeys: one line each
            print(f"{PROG}: warning: {' '.join(str(warning.message).split())}", file=sys.stderr)
    except SystemExit as done:  # --help and --version print, then exit with status 0
        return done.code if isinstance(done.code, int) else 0
    except AttributionError as exc:
        _fail(exc)
        return 2
    except (ValueError, TypeError, OverflowError, MemoryError, KeyError, IndexError) as exc:  # never a traceback
        _fail(f"could not process the input ({type(exc).__name__}: {exc}); please report this with the file's layout")
        return 1
    _write(args.format, source, len(events), journeys.summary(), credits, sys.stdout, roas)
    return 0


def _fail(exc: BaseException | str) -> None:
    message = " ".join(str(exc).split())  # parser and pandas messages may span lines
    print(f"{PROG}: error: {message}", file=sys.stderr)


# ---------------------------------------------------------------------- models
def select_models(names: str | None) -> list[str] | None:
    """The registered models to run: ``None`` (every model that fits) by default, else ``names``.

    Raises
    ------
    CLIError
        An empty or unknown name; the message lists the available models.
    """
    if names is None:
        return None
    requested = [name.strip() for name in names.split(",")]
    if not all(requested):
        raise CLIError(f"argument --models: expected comma-separated model names; got {names!r}")
    unknown = [name for name in requested if name not in MODELS]
    if unknown:
        raise CLIError(f"argument --models: unknown model {unknown[0]!r}; available: {', '.join(MODELS)}")
    return list(dict.fromkeys(requested))  # drop repeats, keep the order given


def _attribute(journeys: Journeys, names: list[str] | None, keys: list[str], period: str) -> pd.DataFrame:
    """Conversions credited to each channel (rows; per group with --by) by each model (columns).

    Without ``--models``, every model that can run on these journeys (as ``compare``).
    """
    models = default_models(journeys) if names is None else [MODELS[name]() for name in names]
    if keys:
        return compare(journeys, models, by=keys, period=_period(keys, period)).wide("conversions").fillna(0.0)
    comparison = compare(journeys, models)
    return comparison.wide("conversions").reindex(list(journeys.channels)).fillna(0.0).rename_axis("channel")


# the models whose return on spend is shown when --models does not say: one per family of answer
ROAS_MODELS = ("last_touch", "linear", "markov")


def _roas(
    journeys: Journeys, names: list[str] | None, keys: list[str], period: str, spend: pd.DataFrame
) -> pd.DataFrame:
    """Return on ad spend per channel (rows; per group with --by) under each model (columns)."""
    models = [MODELS[name]() for name in (names or ROAS_MODELS)]
    comparison = compare(journeys, models, by=keys or None, period=_period(keys, period))
    table = comparison.with_spend(spend.set_index([*keys, "channel"])["spend"] if keys else _by_channel(spend))
    return table["roas"].unstack("model").reindex(columns=comparison.models)  # noqa: PD010  (keeps NaN rows)


def _period(keys: list[str], period: str) -> str | None:
    return period if "period" in keys else None


def _group_keys(args: argparse.Namespace) -> list[str]:
    """The --by keys (with conversion_type first when --conversion-type makes goals)."""
    keys = [] if args.by is None else [k.strip() for k in args.by.split(",")]
    if args.by is not None and (not all(keys) or len(set(keys)) != len(keys)):
        raise CLIError(f"argument --by: expected distinct comma-separated keys such as country,period; got {args.by!r}")
    if args.conversion_type is not None and "conversion_type" not in keys:
        keys.insert(0, "conversion_type")  # every goal is attributed on its own
    return keys


def _by_channel(spend: pd.DataFrame) -> pd.Series:
    return spend.groupby("channel")["spend"].sum()


def _load_spend(args: argparse.Namespace, keys: list[str]) -> pd.DataFrame | None:
    """The spend table: --spend FILE, or for the bundled sample its own spend (by month and channel)."""
    if args.spend is None:
        if args.events is not None:
            return None
        from attribution.datasets import load_sample_spend

        spend = load_sample_spend().rename(columns={"month": "period"})
        usable = [k for k in keys if k != "period"]
        if usable or (keys and args.period != "M"):
            return None  # the sample prices channels by month only
        return spend.groupby([*(["period"] if keys else []), "channel"])["spend"].sum().reset_index()
    path = Path(args.spend)
    if not path.exists():
        raise CLIError(f"spend file not found: {path}")
    needed = {"--spend": "spend", "channel": "channel", **{f"--by {k}": k for k in keys}}
    reader = _read_parquet if _is_parquet(path) else _read_csv_columns
    spend = reader(path, needed, args)
    if "period" in keys:
        spend["period"] = pd.PeriodIndex(spend["period"].astype(str), freq=args.period)
    return spend


# ---------------------------------------------------------------------- input
def _needed_columns(args: argparse.Namespace) -> dict[str, str]:
    """The columns to read, keyed by the option that names them."""
    needed = {"--user": args.user, "--time": args.time, "--channel": args.channel}
    if args.goals is None:  # with --goals, the conversions are the rows of those types
        needed["--conversion"] = args.conversion
    if not args.no_value:
        needed["--value"] = args.value
    if args.conversion_type is not None:
        needed["--conversion-type"] = args.conversion_type
    for key in _group_keys(args):
        if key not in ("period", "conversion_type"):
            needed[f"--by {key}"] = key
    return needed


def _flag_goals(events: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """The log (our own copy) with the --conversion column flagging the rows whose type is a --goal."""
    if args.conversion_type is None:
        raise ParameterError(
            "option --goals needs --conversion-type: the column whose values it lists. "
            "Fix: add --conversion-type COL (e.g. --conversion-type event --goals purchase,sign-up)."
        )
    goals = [g.strip() for g in args.goals.split(",") if g.strip()]
    types = events[args.conversion_type]
    written = types.astype(object).where(types.notna(), None).map(lambda v: None if v is None else str(v).strip())
    found = sorted(set(written.dropna()))
    missing = [g for g in goals if g not in found]
    if not goals or missing:
        raise ParameterError(
            f"option --goals must list values of column {args.conversion_type!r}; "
            f"{'it is empty' if not goals else f'{missing[0]!r} never occurs'} (values: {', '.join(found[:10])}). "
            "Fix: pass some of those values, comma-separated."
        )
    flagged = events.copy()
    flagged[args.conversion] = written.isin(goals).to_numpy()
    return flagged


def _load_events(args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    """The event log and a description of where it came from."""
    if args.events is None:
        from attribution.datasets import load_sample_events

        events = load_sample_events()
        _check_columns("the bundled sample", [str(c) for c in events.columns], _needed_columns(args))
        return events, "bundled sample"
    path = Path(args.events)
    if not path.exists():
        raise CLIError(f"file not found: {path}")
    if path.is_dir():
        raise CLIError(f"{path} is a directory, not a CSV or Parquet file")
    reader = _read_parquet if _is_parquet(path) else _read_csv
    return reader(path, _needed_columns(args), args), str(path)


def _is_parquet(path: Path) -> bool:
    """Whether the extension says Parquet; raise unless it says Parquet or CSV."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _PARQUET_SUFFIXES:
        return True
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _CSV_SUFFIXES:
        return False
    raise CLIError(f"cannot tell the format of {path} from its extension; give a .csv or .parquet file")


def _check_columns(path: Path | str, present: list[str], needed: dict[str, str]) -> None:
    for option, column in needed.items():
        if column not in present:
            shown = ", ".join(map(repr, present[:20])) + (", ..." if len(present) > 20 else "")
            raise CLIError(
                f"column {column!r} ({option}) is not in {path}; its columns are: {shown or 'none'}. "
                f"Use {option} COL to name the column that holds it."
            )


def _read_csv(path: Path, needed: dict[str, str], args: argparse.Namespace) -> pd.DataFrame:
    try:
        header = pd.read_csv(path, nrows=0)
        _check_columns(path, [str(c) for c in header.columns], needed)
        # Ids and labels stay text: "007" and "7" are different users.
        return pd.read_csv(
            path, usecols=list(dict.fromkeys(needed.values())), dtype={args.user: "str", args.channel: "str"}
        )
    except (OSError, ValueError) as exc:  # pandas parser errors are ValueErrors
        raise CLIError(f"cannot read {path} as CSV: {exc}") from None


def _read_csv_columns(path: Path, needed: dict[str, str], args: argparse.Namespace) -> pd.DataFrame:
    try:
        header = pd.read_csv(path, nrows=0)
        _check_columns(path, [str(c) for c in header.columns], needed)
        return pd.read_csv(path, usecols=list(dict.fromkeys(needed.values())), dtype={"channel": "str"})
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot read {path} as CSV: {exc}") from None


def _read_parquet(path: Path, needed: dict[str, str], args: argparse.Namespace) -> pd.DataFrame:
    try:
        # Imported by name, as an optional dependency without type information.
        parquet: Any = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise CLIError(_PARQUET_HINT) from None
    try:
        _check_columns(path, [str(c) for c in parquet.read_schema(path).names], needed)
        return pd.read_parquet(path, columns=list(dict.fromkeys(needed.values())), engine="pyarrow")
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise CLIError(f"cannot read {path} as Parquet: {exc}") from None


# ---------------------------------------------------------------------- output
def _write(
    fmt: str,
    source: str,
    n_events: int,
    summary: JourneysSummary,
    credits: pd.DataFrame,
    out: TextIO,
    roas: pd.DataFrame | None = None,
) -> None:
    if fmt == "table":
        out.write(_as_text(source, n_events, summary, credits, roas))
    elif fmt == "json":
        document: dict[str, Any] = {"summary": summary.to_dict(), "models": _by_model(credits)}
        if roas is not None:
            document["roas"] = _by_model(roas)
        out.write(json.dumps(_finite(document), indent=2, allow_nan=False) + "\n")
    else:  # csv: the comparison, one machine-readable table (channels, per group, x models)
        out.write(credits.to_csv())


def _by_model(table: pd.DataFrame) -> dict[str, Any]:
    """Each model's column: ``{channel: number}``, or with groups ``{"key|...|channel": number}``."""
    return {
        str(name): {("|".join(map(str, k)) if isinstance(k, tuple) else str(k)): v for k, v in table[name].items()}
        for name in table.columns
    }


def _as_text(
    source: str, n_events: int, summary: JourneysSummary, credits: pd.DataFrame, roas: pd.DataFrame | None = None
) -> str:
    lines = [f"{'events':<13}{source}, {n_events:,} rows", str(summary), ""]
    lines += ["Conversions credited to each channel, by model:", credits.to_string(float_format="{:,.2f}".format)]
    unattributed = summary.unattributed_conversions
    if unattributed:
        lines += ["", f"{unattributed:,.0f} conversions on empty paths are unattributed by every model."]
    if roas is not None:
        lines += [
            "",
            "Return on ad spend (credited value per unit of spend; blank: no spend given), by model:",
            roas.to_string(float_format="{:,.2f}".format, na_rep=""),
        ]
    return "\n".join(lines) + "\n"


def _finite(item: Any) -> Any:
    """NaN and infinities become null, which JSON (unlike Python's json module) knows."""
    if isinstance(item, dict):
        return {key: _finite(value) for key, value in item.items()}
    if isinstance(item, list):
        return [_finite(value) for value in item]
    if isinstance(item, float) and not math.isfinite(item):
        return None
    return item
