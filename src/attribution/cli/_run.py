"""One run of the command: read, build journeys, attribute with every model, write; failures in one line."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import warnings
from collections.abc import Sequence

import pandas as pd

from attribution._display import format_count
from attribution.cli._input import flag_goals, group_keys, load_events, load_spend, spend_by_channel
from attribution.cli._output import Result, write_result
from attribution.cli._parser import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    PROG,
    CLIError,
    build_parser,
)
from attribution.cli._progress import Progress
from attribution.compare import compare, default_selection
from attribution.errors import AttributionError
from attribution.journeys import Journeys
from attribution.models.base import Model, attributable_totals
from attribution.models.markov import MarkovChain
from attribution.models.registry import MODELS, normalise_model_name
from attribution.models.rules import TimeDecay

__all__ = ["ROAS_MODELS", "main", "select_models"]

# the models whose return on spend is shown beside the credits when --models does not say:
# one per family of answer (the last touch, an even split, the chain's removal effects)
ROAS_MODELS = ("last_touch", "linear", "markov")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status.

    Parameters
    ----------
    argv
        The arguments, without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        0 when done; 2 for bad input (an option, a file, the data), with one line on
        stderr saying what is wrong and how to fix it; 1 for an unexpected failure (a bug:
        please report it); 130 when interrupted. Never a traceback.

    Examples
    --------
    >>> main(["--models", "nonsense"])
    2
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help and --version print, then exit with status 0
        return done.code if isinstance(done.code, int) else EXIT_OK
    except AttributionError as exc:
        _fail(exc)
        return EXIT_BAD_INPUT
    try:
        with Progress.for_terminal(args.quiet) as progress:
            result = _run(args, progress)
        write_result(result, args.format, args.output, sys.stdout)
        sys.stdout.flush()
    except KeyboardInterrupt:
        _fail("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (e.g. piped into head): nothing left to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the interpreter's last flush does not complain
        return EXIT_OK
    except AttributionError as exc:
        _fail(exc)
        return EXIT_BAD_INPUT
    except Exception as exc:  # never a traceback; MemoryError and pandas' own errors included
        _fail(f"could not process the input ({type(exc).__name__}: {exc}); please report this with the file's layout")
        return EXIT_FAILURE
    return EXIT_OK


def _run(args: argparse.Namespace, progress: Progress) -> Result:
    requested = select_models(args.models)
    keys = group_keys(args)
    progress.step("reading the bundled sample" if args.events is None else f"reading {args.events}")
    events, source = load_events(args)
    if args.goals is not None:
        events = flag_goals(events, args)
    progress.step(f"building journeys from {len(events):,} events")
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
    spend = load_spend(args, keys)
    if args.show == "roas" and spend is None:
        raise CLIError("--show roas needs spend: pass --spend FILE with columns channel and spend (and the --by keys)")
    models, skipped = _models(journeys, requested, args)
    if args.period is not None and "period" not in keys:
        raise CLIError("--period sets the calendar of --by period; add period to --by (e.g. --by period), or drop it")
    period = (args.period or "M") if "period" in keys else None
    summary = journeys.summary()
    if not attributable_totals(journeys)[0] > 0:  # every model would refuse: say it once, keep the summary
        lost = journeys.unattributed_conversions
        where = f" (all {format_count(lost)} are on empty paths)" if lost > 0 else ""
        note = (
            f"No model was run: no conversion is on a path with touches{where}, so there is nothing to "
            "attribute. Check --conversion, and --lookback if given."
        )
        empty = pd.DataFrame(index=pd.Index([], name="channel"))
        return Result(source, len(events), summary, args.show, empty, None, skipped, note)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        progress.step(f"attributing with {len(models)} models")
        unattributed: dict[str, float] = {}
        if args.show == "roas":
            table, roas = _roas(journeys, models, keys, period, spend), None
        else:
            comparison = compare(journeys, models, by=keys or None, period=period)
            unattributed = {name: result.unattributed.conversions for name, result in comparison.items()}
            table = comparison.wide(args.show).fillna(0.0)
            if not keys:
                table = table.reindex(list(journeys.channels)).fillna(0.0).rename_axis("channel")
            roas = None
            if spend is not None:
                progress.step("computing the return on ad spend")
                shown = requested or list(ROAS_MODELS)
                roas = _roas(journeys, _models(journeys, shown, args, strict=False)[0], keys, period, spend)
    for warning in caught:  # advice from a model, e.g. no non-converting journeys: one line each
        print(f"{PROG}: warning: {' '.join(str(warning.message).split())}", file=sys.stderr)
    return Result(source, len(events), summary, args.show, table, roas, skipped, unattributed=unattributed)


# ---------------------------------------------------------------------- models
def select_models(names: str | None) -> list[str] | None:
    """The registered models to run: ``None`` (every model that fits) by default, else ``names``.

    Names are those of :func:`attribution.compare` (``last_touch``); ``last-touch`` and
    ``Last touch`` are read the same way.

    Raises
    ------
    CLIError
        An empty or unknown name; the message lists the available models.

    Examples
    --------
    >>> select_models("linear, Last-Touch,linear")
    ['linear', 'last_touch']
    """
    if names is None:
        return None
    requested = [normalise_model_name(name) for name in names.split(",")]
    if not all(requested):
        raise CLIError(f"argument --models: expected comma-separated model names; got {names!r}")
    unknown = [name for name in requested if name not in MODELS]
    if unknown:
        raise CLIError(f"argument --models: unknown model {unknown[0]!r}; available: {', '.join(MODELS)}")
    return list(dict.fromkeys(requested))  # drop repeats, keep the order given


def _models(
    journeys: Journeys, names: list[str] | None, args: argparse.Namespace, *, strict: bool = True
) -> tuple[list[Model], dict[str, str]]:
    """The models to run, with --markov-order and --half-life applied, and the default models left out (why)."""
    skipped: dict[str, str] = {}
    if names is None:
        models, skipped = default_selection(journeys)
    else:
        models = [MODELS[name]() for name in names]
    settings = {
        MarkovChain: ("order", args.markov_order, "--markov-order", "markov"),
        TimeDecay: ("half_life", args.half_life, "--half-life", "time_decay"),
    }
    for kind, (field, setting, option, name) in settings.items():
        if setting is None:
            continue
        if strict and not any(isinstance(m, kind) for m in models):
            raise CLIError(
                f"{option} sets the {name} model, which is not among the models run"
                + (" (these journeys have no touch times)" if kind is TimeDecay and not journeys.has_times else "")
                + f"; add {name} to --models, or drop {option}"
            )
        models = [dataclasses.replace(m, **{field: setting}) if isinstance(m, kind) else m for m in models]  # type: ignore[type-var]
    return models, skipped


def _roas(
    journeys: Journeys, models: list[Model], keys: list[str], period: str | None, spend: pd.DataFrame | None
) -> pd.DataFrame:
    """Return on ad spend per channel (rows; per group with --by) under each model (columns)."""
    assert spend is not None  # checked by the caller
    comparison = compare(journeys, models, by=keys or None, period=period)
    table = comparison.with_spend(spend.set_index([*keys, "channel"])["spend"] if keys else spend_by_channel(spend))
    return table["roas"].unstack("model").reindex(columns=comparison.models)  # noqa: PD010  (keeps NaN rows)


def _fail(exc: BaseException | str) -> None:
    message = in_cli_words(" ".join(str(exc).split()))  # parser and pandas messages may span lines
    print(f"{PROG}: error: {message}", file=sys.stderr)


# The library's fixes name its arguments; on the command line the same fix is an option.
_OPTIONS = (
    (re.compile(r"\btime_unit=('?)(\w+)\1"), r"--time-unit \2"),
    (re.compile(r"\btime_format=('[^']*')"), r"--time-format \1"),
    (re.compile(r"\blookback=(['\"]?)([\w.]+)\1"), r"--lookback \2"),
    (re.compile(r"\bmax_touches=(\d+)"), r"--max-touches \1"),
    (re.compile(r"\bsplit_on_conversion=False\b"), "--no-split"),
)


def in_cli_words(message: str) -> str:
    """A library message with its argument fixes written as the command's options.

    Examples
    --------
    >>> in_cli_words("Fix: pass time_unit='s' for Unix seconds, or time_format='%d/%m/%Y'.")
    "Fix: pass --time-unit s for Unix seconds, or --time-format '%d/%m/%Y'."
    """
    for pattern, option in _OPTIONS:
        message = pattern.sub(option, message)
    return message
