"""Reading the command's inputs: the event log (CSV, Parquet or the bundled sample) and the spend table."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

import pandas as pd

from attribution.cli._parser import CLIError
from attribution.errors import ParameterError

__all__ = ["PARQUET_HINT", "flag_goals", "group_keys", "load_events", "load_spend", "spend_by_channel"]

_CSV_SUFFIXES = {".csv"}
_COMPRESSION_SUFFIXES = {".gz", ".bz2", ".zip", ".xz", ".zst", ".tar"}  # pandas infers these for CSV
_PARQUET_SUFFIXES = {".parquet", ".pq"}
# the package is not on the package index yet: the extra installs from a checkout, as the README says
PARQUET_HINT = (
    'reading Parquet files needs pyarrow. Fix: pip install pyarrow (or pip install ".[parquet]" from a checkout '
    "of attribution)"
)


def group_keys(args: argparse.Namespace) -> list[str]:
    """The --by keys (with conversion_type first when --conversion-type makes goals)."""
    keys = [] if args.by is None else [k.strip() for k in args.by.split(",")]
    if args.by is not None and (not all(keys) or len(set(keys)) != len(keys)):
        raise CLIError(f"argument --by: expected distinct comma-separated keys such as country,period; got {args.by!r}")
    if args.conversion_type is not None and "conversion_type" not in keys:
        keys.insert(0, "conversion_type")  # every goal is attributed on its own
    return keys


def spend_by_channel(spend: pd.DataFrame) -> pd.Series:
    return spend.groupby("channel")["spend"].sum()


def load_spend(args: argparse.Namespace, keys: list[str]) -> pd.DataFrame | None:
    """The spend table: --spend FILE, or for the bundled sample its own spend (by month and channel)."""
    if args.spend is None:
        if args.events is not None:
            return None
        from attribution.datasets import load_sample_spend

        spend = load_sample_spend().rename(columns={"month": "period"})
        usable = [k for k in keys if k != "period"]
        if usable or (keys and (args.period or "M") != "M"):
            return None  # the sample prices channels by month only
        return spend.groupby([*(["period"] if keys else []), "channel"])["spend"].sum().reset_index()
    path = Path(args.spend)
    if not path.exists():
        raise CLIError(f"spend file not found: {path}")
    needed = {"--spend": "spend", "channel": "channel", **{f"--by {k}": k for k in keys}}
    reader = _read_parquet if _is_parquet(path) else _read_csv_columns
    spend = reader(path, needed, args)
    if "period" in keys:
        spend["period"] = pd.PeriodIndex(spend["period"].astype(str), freq=args.period or "M")
    return spend


def _needed_columns(args: argparse.Namespace) -> dict[str, str]:
    """The columns to read, keyed by the option that names them."""
    needed = {"--user": args.user, "--time": args.time, "--channel": args.channel}
    if args.goals is None:  # with --goals, the conversions are the rows of those types
        needed["--conversion"] = args.conversion
    if not args.no_value:
        needed["--value"] = args.value
    if args.conversion_type is not None:
        needed["--conversion-type"] = args.conversion_type
    for key in group_keys(args):
        if key not in ("period", "conversion_type"):
            needed[f"--by {key}"] = key
    return needed


def flag_goals(events: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
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


def load_events(args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
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


def _csv_header(path: Path) -> list[str]:
    """The header's names as written: pandas would rename a repeated name (``user_id.1``) silently."""
    first = pd.read_csv(path, nrows=1, header=None, dtype=str, keep_default_na=False)
    names = [str(c) for c in first.iloc[0]] if len(first) else []
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise CLIError(
            f"column {repeated[0]!r} appears {names.count(repeated[0])} times in the header of {path}, so it is "
            "ambiguous; rename or drop the extra columns"
        )
    return names


def _read_csv(path: Path, needed: dict[str, str], args: argparse.Namespace) -> pd.DataFrame:
    try:
        header = _csv_header(path)
        _check_columns(path, header, needed)
        # Ids and labels stay text: "007" and "7" are different users.
        return pd.read_csv(
            path, usecols=list(dict.fromkeys(needed.values())), dtype={args.user: "str", args.channel: "str"}
        )
    except (OSError, ValueError) as exc:  # pandas parser errors are ValueErrors
        raise CLIError(f"cannot read {path} as CSV: {exc}") from None


def _read_csv_columns(path: Path, needed: dict[str, str], args: argparse.Namespace) -> pd.DataFrame:
    try:
        _check_columns(path, _csv_header(path), needed)
        return pd.read_csv(path, usecols=list(dict.fromkeys(needed.values())), dtype={"channel": "str"})
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot read {path} as CSV: {exc}") from None


def _read_parquet(path: Path, needed: dict[str, str], args: argparse.Namespace) -> pd.DataFrame:
    try:
        # Imported by name, as an optional dependency without type information.
        parquet: Any = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise CLIError(PARQUET_HINT) from None
    try:
        _check_columns(path, [str(c) for c in parquet.read_schema(path).names], needed)
        return pd.read_parquet(path, columns=list(dict.fromkeys(needed.values())), engine="pyarrow")
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise CLIError(f"cannot read {path} as Parquet: {exc}") from None
