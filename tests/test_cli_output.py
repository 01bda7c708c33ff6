"""The CLI's surfaces: tables that fit the terminal, --show, --format, --output, model options,
progress on stderr, and one line with a documented exit status for every failure."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from attribution import Journeys, Linear, MarkovChain, TimeDecay
from attribution.cli import build_parser, main
from attribution.cli._progress import Progress
from attribution.cli._tables import fit_table, format_number, short_model_names
from attribution.datasets import load_sample_events, load_sample_spend

from .test_cli import assert_one_line_error, run, small_log

SAMPLE = {"user": "user_id", "time": "timestamp", "channel": "channel", "conversion": "converted", "value": "revenue"}
NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?%?$")


def sample_journeys() -> Journeys:
    return Journeys.from_events(load_sample_events(), **SAMPLE)


# ---------------------------------------------------------------------- fitting the terminal
@pytest.mark.parametrize("width", [80, 60, 120])
def test_the_main_job_fits_the_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """Every line of the main job's output is at most COLUMNS wide, and every table cell is a whole number."""
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, err = run(capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width, max(lines, key=len)
    start = lines.index("Conversions credited to each channel, by model:") + 1
    table = lines[start : next(i for i in range(start, len(lines)) if lines[i].startswith("Models:"))]
    for line in table:
        for cell in line.split("  "):
            if cell.strip() and cell.strip()[0].isdigit():
                assert NUMBER.match(cell.strip()), cell  # never a number cut in two


def test_python_dash_m_fits_80_columns_when_piped() -> None:
    """Run as a user would (stdout a pipe, COLUMNS=80): every line fits, nothing on stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "attribution"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "COLUMNS": "80"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_a_wide_table_is_split_into_blocks_of_whole_columns() -> None:
    """12 models over 3 channels in 40 columns: blocks, each repeating the channel labels, and a legend."""
    channels = pd.Index([f"Channel {i}" for i in range(12)], name="channel")
    table = pd.DataFrame({f"Model number {i}": [1234.5 * i] * 12 for i in range(12)}, index=channels)
    text = fit_table(table, "conversions", 40)
    assert max(len(line) for line in text.splitlines()) <= 40
    blocks = text.split("\n\n")
    assert len(blocks) >= 4
    assert all(block.splitlines()[1].startswith("Channel 0") for block in blocks[:-1])  # labels repeated
    assert "13,579.5" in text  # 1234.5 * 11, written whole
    assert text.splitlines()[-1].endswith(".")  # the legend ends the table


def test_models_as_rows_when_that_takes_fewer_blocks() -> None:
    """Three models over eleven long channel names: channels as rows fit in one block at 80 columns."""
    channels = pd.Index([f"Channel with a long name {i}" for i in range(11)], name="channel")
    table = pd.DataFrame({"Linear": range(11), "Last touch": range(11), "First touch": range(11)}, index=channels)
    text = fit_table(table.astype(float), "conversions", 80)
    assert text.splitlines()[0].split()[0] == "channel"
    one_channel = pd.DataFrame({"Linear": [1.0]}, index=pd.Index(["Email"], name="channel"))
    assert fit_table(one_channel, "conversions", 80).splitlines()[0].split() == ["channel", "Linear"]


def test_short_names_are_distinct_and_explained() -> None:
    names = ["Markov (order 1)", "Markov (order 2)", "Time decay (7D)", "A very long custom model name"]
    shorts = short_model_names(names)
    assert len(set(shorts)) == 4
    assert all(len(s) <= 8 for s in shorts)
    text = fit_table(pd.DataFrame({n: [1.0] for n in names}, index=["X"]), "conversions", 80)
    for short, name in zip(shorts, names, strict=True):
        assert f"{short} = {name}" in " ".join(text.split())


@pytest.mark.parametrize(
    ("quantity", "value", "written"),
    [
        ("conversions", 1234.56, "1,234.6"),
        ("value", 212054.04, "212,054"),
        ("share", 0.2345, "23.4%"),
        ("roas", 1.5, "1.50"),
    ],
)
def test_numbers_are_written_for_people(quantity: str, value: float, written: str) -> None:
    assert format_number(quantity)(value) == written
    assert format_number(quantity)(float("nan")) == ""


# ---------------------------------------------------------------------- --show, --format, --output
@pytest.mark.parametrize("quantity", ["conversions", "value", "share"])
def test_show_gives_the_library_numbers(capsys: pytest.CaptureFixture[str], quantity: str) -> None:
    code, out, err = run(capsys, "--show", quantity, "--models", "linear", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["quantity"] == quantity
    expected = Linear().attribute(sample_journeys()).credits[quantity]
    assert document["models"]["Linear"] == pytest.approx(expected.to_dict(), rel=1e-12)


def test_show_roas_gives_credited_value_per_unit_of_spend(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--show", "roas", "--models", "linear", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    spend = load_sample_spend().groupby("channel")["spend"].sum()
    expected = Linear().attribute(sample_journeys()).with_spend(spend)["roas"]
    assert document["models"]["Linear"]["Email"] == pytest.approx(expected["Email"])
    assert document["models"]["Linear"]["Direct"] is None  # no spend: unknown, not 0
    assert "roas" not in document  # shown as the table itself


def test_show_roas_without_spend_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = tmp_path / "events.csv"
    small_log().to_csv(file, index=False)
    assert_one_line_error(*run(capsys, str(file), "--show", "roas"), "--show roas needs spend", "--spend FILE")


def test_output_writes_csv_to_a_file_and_nothing_to_stdout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "credits.csv"
    code, out, err = run(capsys, "--models", "linear,last_touch", "--format", "csv", "--output", str(target))
    assert (code, out, err) == (0, "", "")
    table = pd.read_csv(target, index_col="channel")
    assert list(table.columns) == ["Linear", "Last touch"]
    assert table.loc["Email", "Linear"] == pytest.approx(
        Linear().attribute(sample_journeys()).credits.loc["Email", "conversions"]
    )


def test_output_writes_the_table_text_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text, document = tmp_path / "report.txt", tmp_path / "report.json"
    assert run(capsys, "--models", "linear", "--output", str(text))[0] == 0
    assert "Conversions credited to each channel, by model:" in text.read_text(encoding="utf-8")
    assert run(capsys, "--models", "linear", "--format", "json", "--output", str(document))[0] == 0
    assert json.loads(document.read_text(encoding="utf-8"))["quantity"] == "conversions"


def test_parquet_output_holds_the_grouped_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "credits.parquet"
    code, _, err = run(capsys, "--by", "period", "--models", "linear", "--format", "parquet", "--output", str(target))
    assert code == 0, err
    table = pd.read_parquet(target)
    assert list(table.columns) == ["period", "channel", "Linear"]
    assert set(table["period"]) == {"2025-03", "2025-04", "2025-05"}
    assert table["Linear"].sum() == pytest.approx(2758 - 80)


def test_parquet_needs_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "--format", "parquet"), "--format parquet writes a file", "--output FILE")


def test_an_output_file_that_cannot_be_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "no such folder" / "x.csv"
    assert_one_line_error(*run(capsys, "--models", "linear", "--output", str(target)), "cannot write", "x.csv")


# ---------------------------------------------------------------------- model options
def test_markov_order_and_half_life_reach_the_models(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "--models", "markov,time_decay", "--markov-order", "2", "--half-life", "3D", "--format", "json"
    )
    assert code == 0, err
    models = json.loads(out)["models"]
    journeys = sample_journeys()
    assert list(models) == [MarkovChain(order=2).name, TimeDecay("3D").name]
    expected = MarkovChain(order=2).attribute(journeys).credits["conversions"]
    assert models[MarkovChain(order=2).name] == pytest.approx(expected.to_dict(), rel=1e-9)


def test_model_options_for_models_not_run_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "--models", "linear", "--markov-order", "2"), "--markov-order", "add markov")
    assert_one_line_error(*run(capsys, "--models", "linear", "--half-life", "3D"), "--half-life", "add time_decay")
    assert_one_line_error(*run(capsys, "--half-life", "soon"), "--half-life", "30D or 36h")
    assert_one_line_error(*run(capsys, "--markov-order", "0"), "--markov-order", "positive")


def test_models_are_named_as_compare_names_them(capsys: pytest.CaptureFixture[str]) -> None:
    """--models takes compare()'s names; 'Last-Touch' and 'last touch' are read as last_touch."""
    code, out, _ = run(capsys, "--models", "Last-Touch, linear", "--format", "json")
    assert code == 0
    assert list(json.loads(out)["models"]) == ["Last touch", "Linear"]


# ---------------------------------------------------------------------- progress and failures
def test_progress_is_drawn_after_the_delay_and_erased() -> None:
    stream = io.StringIO()
    with Progress(enabled=True, stream=stream, delay=0.0) as progress:
        progress.step("building journeys")
        import time

        time.sleep(0.3)
    drawn = stream.getvalue()
    assert "building journeys" in drawn
    assert drawn.endswith("\r")  # the line is erased: the next output starts clean


def test_no_progress_when_disabled_or_quick() -> None:
    quiet, quick = io.StringIO(), io.StringIO()
    with Progress(enabled=False, stream=quiet, delay=0.0) as progress:
        progress.step("reading")
    with Progress(enabled=True, stream=quick, delay=60.0) as progress:
        progress.step("reading")
    assert quiet.getvalue() == quick.getvalue() == ""


def test_quiet_and_a_pipe_draw_no_progress(capsys: pytest.CaptureFixture[str]) -> None:
    """stderr under test is not a terminal: no progress, --quiet or not."""
    assert not Progress.for_terminal(quiet=False)._enabled
    code, _, err = run(capsys, "--models", "linear", "--quiet")
    assert (code, err) == (0, "")


def test_interrupted_runs_exit_130(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("attribution.cli._run.load_events", interrupt)
    code, out, err = run(capsys)
    assert (code, out, err) == (130, "", "attribution: error: interrupted\n")


def test_an_unexpected_failure_is_one_line_with_status_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("something inside broke")

    monkeypatch.setattr("attribution.cli._run.load_events", broken)
    code, out, err = run(capsys)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert "RuntimeError: something inside broke" in err
    assert "please report" in err


def test_a_closed_pipe_ends_quietly() -> None:
    """``python -m attribution | head -1``: the reader leaves early; no traceback, no noise."""
    process = subprocess.Popen(
        [sys.executable, "-m", "attribution", "--models", "linear"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None  # noqa: PT018  (typing only)
    process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read().decode()
    process.stderr.close()
    process.wait(timeout=120)
    assert "Traceback" not in errors
    assert "BrokenPipe" not in errors


@pytest.mark.parametrize(
    ("name", "content", "fragments"),
    [
        ("events.csv.gz", b"not gzip at all", ["cannot read", "as CSV"]),
        ("events.csv", "user_id,timestamp,channel,converted,revenue\n", ["no events"]),
        (
            "events.csv",
            "user_id,user_id,timestamp,channel,converted,revenue\nu,v,2025-01-01,A,0,\n",
            ["column 'user_id' appears 2 times", "ambiguous"],
        ),
        ("events.csv", "user_id,timestamp,channel,converted,revenue\nu1,1735689600,Email,False,\n", ["--time-unit"]),
        ("events.csv", "user_id,timestamp,channel,converted,revenue\nu1,13/01/2025,Email,False,\n", ["ISO 8601"]),
        (
            "events.csv",
            "user_id,timestamp,channel,converted,revenue\nu1,2025-01-01T00:00Z,Email,False,\nu1,2025-01-02,,True,1\n",
            ["mixes time-zone-aware and naive"],
        ),
        ("events.parquet", b"PAR1\x00\x00\x00\x00PAR1", ["cannot read", "as Parquet"]),
    ],
)
def test_more_broken_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | bytes, fragments: list[str]
) -> None:
    file = tmp_path / name
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content)
    code, out, err = run(capsys, str(file))
    if "no events" in fragments:  # an empty log is not an error: an empty summary
        assert code == 0, err
        return
    assert_one_line_error(code, out, err, *fragments)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("channel,budget\nEmail,10\n", ["column 'spend' (--spend)"]),
        ("channel,spend\nEmail,lots\n", ["spend"]),
        ("channel,spend\nEmail,-5\n", ["spend"]),
        (b"\xff\xfe\x00garbage", ["cannot read", "as CSV"]),
    ],
)
def test_broken_spend_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, fragments: list[str]
) -> None:
    file = tmp_path / "spend.csv"
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content)
    assert_one_line_error(*run(capsys, "--models", "linear", "--spend", str(file)), *fragments)


def test_time_format_and_time_unit_read_other_times(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Day-first strings with --time-format, Unix seconds with --time-unit: the same journeys as ISO times."""
    log = small_log()
    iso = run_summary(capsys, tmp_path, log, "iso.csv")
    day_first = log.assign(timestamp=log["timestamp"].dt.strftime("%d/%m/%Y %H:%M"))
    assert run_summary(capsys, tmp_path, day_first, "dmy.csv", "--time-format", "%d/%m/%Y %H:%M") == iso
    epochs = log.assign(timestamp=log["timestamp"].astype("int64") // 10**9)
    assert run_summary(capsys, tmp_path, epochs, "epochs.csv", "--time-unit", "s") == iso


def run_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path, log: pd.DataFrame, name: str, *argv: str) -> object:
    file = tmp_path / name
    log.to_csv(file, index=False)
    code, out, err = run(capsys, str(file), *argv, "--models", "linear", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    return document["summary"], document["models"]


def test_period_sets_the_calendar_of_by_period(capsys: pytest.CaptureFixture[str]) -> None:
    """--period W: weekly groups (Monday to Sunday weeks as pandas writes them), each summing to its week."""
    code, out, err = run(capsys, "--by", "period", "--period", "W", "--models", "linear", "--format", "json")
    assert code == 0, err
    credits = json.loads(out)["models"]["Linear"]
    weeks = {key.split("|")[0] for key in credits}
    assert len(weeks) >= 12  # a quarter of weeks
    assert all("/" in week for week in weeks)  # e.g. 2025-03-03/2025-03-09
    assert sum(credits.values()) == pytest.approx(2758 - 80)


def test_every_option_has_a_test() -> None:
    """Each option of the parser appears as an argument in the CLI's test modules."""
    sources = (Path(__file__).read_text() + (Path(__file__).parent / "test_cli.py").read_text()).replace("'", '"')
    options = [s for action in build_parser()._actions for s in action.option_strings if s.startswith("--")]
    missing = [o for o in options if f'"{o}"' not in sources]
    assert not missing, missing


def test_help_documents_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "Exit status: 0 done; 2 bad input" in text
    assert "130 interrupted" in text
    assert main(["--models", "nonsense"]) == 2


def test_fixes_are_given_as_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Epoch times without a unit: the fix names --time-unit, not the Python argument."""
    file = tmp_path / "epochs.csv"
    small_log().assign(timestamp=lambda e: e["timestamp"].astype("int64") // 10**9).to_csv(file, index=False)
    code, out, err = run(capsys, str(file))
    assert_one_line_error(code, out, err, "Fix: pass --time-unit s for Unix seconds")
    assert "time_unit=" not in err


def test_period_without_by_period_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "--by", "country", "--period", "W"), "--period", "add period to --by")


def test_one_unattributed_conversion_is_written_in_the_singular(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A user whose only event is a conversion: one conversion on an empty path."""
    log = pd.concat([small_log(), small_log().iloc[[2]].assign(user_id="lonely")], ignore_index=True)
    file = tmp_path / "events.csv"
    log.to_csv(file, index=False)
    code, out, err = run(capsys, str(file), "--models", "linear")
    assert code == 0, err
    assert "1 conversion on empty paths is unattributed by every model." in out


def test_a_log_without_conversions_gets_its_summary_and_a_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No conversion on a path with touches: every model would give zeros; the CLI says so once."""
    file = tmp_path / "events.csv"
    touches = small_log().dropna(subset=["channel"])  # a row without a channel must be a conversion
    touches.assign(converted=False, revenue=None).to_csv(file, index=False)
    code, out, err = run(capsys, str(file))
    assert (code, err) == (0, "")
    assert "journeys     2 journeys, 2 distinct paths, 4 touches" in out
    assert "No model was run: no conversion is on a path with touches" in " ".join(out.split())
    code, out, _ = run(capsys, str(file), "--format", "json")
    document = json.loads(out)
    assert document["models"] == {}
    assert document["note"].startswith("No model was run")
