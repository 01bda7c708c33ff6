"""``python -m attribution``: input files, options, output formats and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from attribution import Journeys, Linear, __version__
from attribution.cli import main
from attribution.compare import default_models
from attribution.datasets import load_sample_events

PIP_HINT = 'pip install pyarrow (or pip install ".[parquet]" from a checkout of attribution)'


def small_log() -> pd.DataFrame:
    """Two users, with the CLI's default column names: 2 conversions (value 30), 1 null journey."""
    return pd.DataFrame(
        {
            "user_id": ["007", "007", "007", "7", "7"],
            "timestamp": pd.to_datetime(
                ["2025-01-01 10:00", "2025-01-20 10:00", "2025-01-20 10:05", "2025-01-02 09:00", "2025-01-03 09:00"]
            ),
            "channel": ["Email", "Paid Search", None, "Display", "Store visit"],
            "converted": [False, False, True, False, True],
            "revenue": [None, None, 10.0, None, 20.0],
        }
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """The journey summary of a JSON run (the model credits are checked separately)."""
    code, out, _ = run(capsys, *argv, "--format", "json")
    assert code == 0
    document: dict[str, Any] = json.loads(out)["summary"]
    return document


def expected_summary(events: pd.DataFrame, **options: Any) -> dict[str, Any]:
    journeys = Journeys.from_events(
        events, user="user_id", time="timestamp", channel="channel", conversion="converted", value="revenue", **options
    )
    return journeys.summary().to_dict()


def assert_same_summary(document: dict[str, Any], expected: dict[str, Any]) -> None:
    assert document == json.loads(json.dumps(expected))  # floats survive JSON exactly; keys become text


def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2
    assert out == ""
    assert err.startswith("attribution: error: ")
    assert err.endswith("\n")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


# ---------------------------------------------------------------------- the bundled sample
def test_no_file_summarises_the_bundled_sample_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--format", "json")
    assert code == 0
    assert err == ""
    document = json.loads(out)  # nothing but JSON on stdout
    assert_same_summary(document["summary"], expected_summary(load_sample_events()))
    events = load_sample_events()
    assert document["summary"]["conversions"] == events["converted"].sum()
    assert document["summary"]["value"] == pytest.approx(events["revenue"].sum())
    unattributed = document["summary"]["unattributed_conversions"]
    sample = Journeys.from_events(
        load_sample_events(),
        user="user_id",
        time="timestamp",
        channel="channel",
        conversion="converted",
        value="revenue",
    )
    assert list(document["models"]) == [model.name for model in default_models(sample)]
    assert min(document["unattributed"].values()) == unattributed  # on empty paths, by every model
    for name, credits in document["models"].items():  # credits + what the model left unattributed = conversions
        assert sum(credits.values()) + document["unattributed"][name] == pytest.approx(
            document["summary"]["conversions"]
        )


def test_table_shows_the_summary_and_the_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == 0
    assert err == ""
    assert out.startswith("events       bundled sample, ")
    assert "conversions  2,758" in out
    assert "channels     11: " in out
    assert "Conversions credited to each channel, by model:" in out
    assert "U-shaped (40/20/40)" in out
    assert "80 conversions on empty paths are unattributed by every model." in out


def test_csv_prints_the_comparison_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--format", "csv")
    assert code == 0
    assert err == ""
    table = pd.read_csv(io.StringIO(out), index_col="channel")
    expected = expected_summary(load_sample_events())
    assert len(table) == 11
    assert "Linear" in table.columns
    attributable = expected["conversions"] - expected["unattributed_conversions"]
    # every model shares out the attributable conversions, except where the logistic model credits no channel
    shared_out = table.drop(columns="Logistic Shapley").sum()
    assert shared_out.tolist() == pytest.approx([attributable] * len(shared_out))
    assert 0.99 * attributable < table["Logistic Shapley"].sum() <= attributable


def test_journey_options_reach_the_builder(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(capsys, "--lookback", "7D", "--max-touches", "3", "--no-split")
    options = {"lookback": "7D", "max_touches": 3, "split_on_conversion": False}
    assert_same_summary(document, expected_summary(load_sample_events(), **options))
    assert max(int(length) for length in document["length_distribution"]) == 3


def test_python_dash_m_prints_json(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "attribution", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)["summary"]
    events = load_sample_events()
    assert document["conversions"] == events["converted"].sum()
    assert document["value"] == pytest.approx(events["revenue"].sum())
    assert document["journeys"] == expected_summary(events)["journeys"]


# ---------------------------------------------------------------------- files
def test_csv_file_with_the_default_column_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "events.csv"
    small_log().to_csv(file, index=False)
    document = run_json(capsys, str(file))
    # "007" and "7" stay two users: ids are read as text
    assert (document["journeys"], document["conversions"], document["value"]) == (2.0, 2.0, 30.0)
    assert_same_summary(document, expected_summary(small_log()))


def test_compressed_csv_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "events.csv.gz"
    small_log().to_csv(file, index=False)
    assert run_json(capsys, str(file))["conversions"] == 2.0


def test_parquet_file_with_other_column_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow")
    renamed = small_log().rename(
        columns={"user_id": "visitor", "timestamp": "ts", "channel": "source", "converted": "buy", "revenue": "amt"}
    )
    renamed["unused"] = 1
    file = tmp_path / "events.PARQUET"
    renamed.to_parquet(file)
    options = ["--user", "visitor", "--time", "ts", "--channel", "source", "--conversion", "buy", "--value", "amt"]
    document = run_json(capsys, str(file), *options)
    assert_same_summary(document, expected_summary(small_log()))


def test_no_value_reads_a_log_without_a_value_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "events.csv"
    small_log().drop(columns="revenue").assign(converted=lambda f: f["converted"].astype(int)).to_csv(file, index=False)
    document = run_json(capsys, str(file), "--no-value")
    assert (document["conversions"], document["value"]) == (2.0, 0.0)


def test_a_log_without_events_gives_an_empty_summary_in_valid_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "events.csv"
    small_log().iloc[:0].to_csv(file, index=False)
    document = run_json(capsys, str(file))
    assert document["journeys"] == 0.0
    assert document["conversion_rate"] is None  # NaN is not JSON


# ---------------------------------------------------------------------- errors: one line, status 2
def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    file = tmp_path / name
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content)
    return str(file)


GOOD_HEADER = "user_id,timestamp,channel,converted,revenue\n"


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--format", "xml"], ["argument --format: invalid choice"]),
        (["--bogus"], ["unrecognized arguments: --bogus"]),
        (["a.csv", "b.csv"], ["unrecognized arguments: b.csv"]),
        (["--lookback", "30"], ["--lookback", "30D"]),
        (["--lookback", "-1D"], ["--lookback"]),
        (["--max-touches", "0"], ["--max-touches", "positive"]),
        (["--max-touches", "many"], ["--max-touches"]),
        (["--value", "x", "--no-value"], ["not allowed with argument"]),
        (["--models", "bogus"], ["unknown model 'bogus'", "available: first_touch, last_touch"]),
        (["--models", ""], ["--models", "model names"]),
        (["--user", "visitor"], ["column 'visitor' (--user)", "bundled sample", "'user_id'"]),
    ],
)
def test_bad_arguments(capsys: pytest.CaptureFixture[str], argv: list[str], fragments: list[str]) -> None:
    assert_one_line_error(*run(capsys, *argv), *fragments)


@pytest.mark.parametrize(
    ("name", "content", "fragments"),
    [
        ("events.txt", GOOD_HEADER, ["cannot tell the format", ".csv or .parquet"]),
        ("events.csv", b"", ["cannot read", "as CSV"]),
        ("events.csv", b"\xff\xfe\x00\x81garbage\x00\n\xc3\x28", ["cannot read", "as CSV"]),
        ("events.csv", GOOD_HEADER + 'u1,2025-01-01,"Email\n', ["cannot read", "as CSV"]),
        ("events.csv", "user,timestamp,channel,converted\n", ["column 'user_id' (--user)", "'user'", "--user COL"]),
        ("events.csv", GOOD_HEADER + "u1,2025-01-01,,False,\n", ["column 'channel'", "touch"]),
        ("events.csv", GOOD_HEADER + "u1,2025-01-01,Email,maybe,\n", ["column 'converted'", "boolean"]),
        ("events.csv", GOOD_HEADER + "u1,not a date,Email,False,\n", ["column 'timestamp'"]),
        ("events.csv", GOOD_HEADER + "u1,2025-01-01,,True,-5\n", ["column 'revenue'"]),
        ("events.parquet", b"PAR1 not really parquet", ["cannot read", "as Parquet"]),
    ],
)
def test_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | bytes, fragments: list[str]
) -> None:
    assert_one_line_error(*run(capsys, write(tmp_path, name, content)), *fragments)


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, str(tmp_path / "nope.csv")), "file not found", "nope.csv")
    assert_one_line_error(*run(capsys, str(tmp_path)), "is a directory")


def test_parquet_without_pyarrow_names_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    file = write(tmp_path, "events.parquet", b"")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # makes the import fail
    assert_one_line_error(*run(capsys, file), PIP_HINT)


def test_help_and_version_exit_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert out.startswith("usage: attribution")
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"attribution {__version__}\n")


# ---------------------------------------------------------------------- the model registry
@pytest.fixture
def small_csv(tmp_path: Path) -> str:
    file = tmp_path / "events.csv"
    small_log().to_csv(file, index=False)
    return str(file)


def test_selected_models_are_compared_in_every_format(capsys: pytest.CaptureFixture[str], small_csv: str) -> None:
    """Small log: 007 converts after Email > Paid Search; 7 converts on a Store visit after Display."""
    code, out, err = run(capsys, small_csv, "--models", "last_touch,first_touch")
    assert code == 0
    assert err == ""
    assert "Conversions credited to each channel, by model:" in out
    code, out, _ = run(capsys, small_csv, "--models", "last_touch,first_touch", "--format", "json")
    models = json.loads(out)["models"]
    assert list(models) == ["Last touch", "First touch"]
    assert models["Last touch"] == {"Display": 0.0, "Email": 0.0, "Paid Search": 1.0, "Store visit": 1.0}
    assert models["First touch"] == {"Display": 1.0, "Email": 1.0, "Paid Search": 0.0, "Store visit": 0.0}
    code, out, err = run(capsys, small_csv, "--models", "linear", "--format", "csv")
    assert code == 0
    credits = pd.read_csv(io.StringIO(out), index_col="channel")
    assert credits["Linear"].to_dict() == {"Display": 0.5, "Email": 0.5, "Paid Search": 0.5, "Store visit": 0.5}


def test_models_option_selects_and_validates(capsys: pytest.CaptureFixture[str], small_csv: str) -> None:
    _, out, _ = run(capsys, small_csv, "--models", "linear, linear", "--format", "json")
    assert list(json.loads(out)["models"]) == ["Linear"]
    assert_one_line_error(*run(capsys, small_csv, "--models", "linear,bogus"), "'bogus'", "available: first_touch")


# ---------------------------------------------------------------------- decisions: groups, goals, spend
def run_document(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """The whole JSON document of a run: summary, models' credits and ROAS."""
    code, out, err = run(capsys, *argv, "--format", "json")
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def test_the_main_job_shows_roas_by_channel_from_the_sample_spend(capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled sample comes with its spend: ROAS = credited value / spend, per model, and blank
    for the channels without spend (Direct, Organic Search, Referral)."""
    code, out, _ = run(capsys)
    assert code == 0
    assert "Return on ad spend" in out
    from attribution import Linear
    from attribution.datasets import load_sample_spend

    events = load_sample_events()
    journeys = Journeys.from_events(
        events, user="user_id", time="timestamp", channel="channel", conversion="converted", value="revenue"
    )
    spend = load_sample_spend().groupby("channel")["spend"].sum()
    expected = Linear().attribute(journeys).with_spend(spend).loc["Email", "roas"]
    document = run_document(capsys)
    assert document["roas"]["Linear"]["Email"] == pytest.approx(expected)
    assert document["roas"]["Linear"]["Direct"] is None  # no spend: unknown, never 0


def test_by_groups_every_model_and_prices_each_month(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_document(capsys, "--by", "period", "--models", "linear")
    credits = document["models"]["Linear"]
    assert set(credits) >= {"2025-03|Email", "2025-04|Email", "2025-05|Email"}
    assert sum(credits.values()) == pytest.approx(document["summary"]["conversions"] - 80)
    assert document["roas"]["Linear"]["2025-04|Email"] > 0


def test_spend_file_and_conversion_type(tmp_path: Path, capsys: pytest.CaptureFixture[str], small_csv: str) -> None:
    events = pd.read_csv(small_csv)
    events["goal"] = events["converted"].map({True: "purchase", False: None})
    path = tmp_path / "goals.csv"
    events.to_csv(path, index=False)
    spend = tmp_path / "spend.csv"
    channels = sorted(set(events["channel"].dropna()))
    pd.DataFrame({"channel": channels, "spend": [10.0] * len(channels)}).to_csv(spend, index=False)
    code, out, err = run(capsys, str(path), "--spend", str(spend), "--models", "linear")
    assert code == 0, err
    assert "Return on ad spend" in out
    document = run_document(capsys, str(path), "--conversion-type", "goal", "--models", "linear")
    assert all(key.startswith("purchase|") for key in document["models"]["Linear"])


def test_goals_make_rows_of_those_types_conversions(capsys: pytest.CaptureFixture[str]) -> None:
    """--goals purchase,sign-up: each type is a goal of its own, with the library's numbers.

    The sample's ``converted`` flags purchases only; its sign-ups (revenue 0) become the
    second goal, so the CLI's credits are those of ``from_events`` on a log whose
    conversion flag is ``event in (purchase, sign-up)``.
    """
    document = run_document(capsys, "--conversion-type", "event", "--goals", "purchase,sign-up", "--models", "linear")
    events = load_sample_events()
    events["converted"] = events["event"].isin(["purchase", "sign-up"])
    journeys = Journeys.from_events(
        events,
        user="user_id",
        time="timestamp",
        channel="channel",
        conversion="converted",
        value="revenue",
        conversion_type="event",
    )
    expected = Linear().attribute(journeys, by="conversion_type").credits["conversions"]
    got = document["models"]["Linear"]
    assert {key.split("|")[0] for key in got} == {"purchase", "sign-up"}
    for (goal, channel), conversions in expected.items():
        assert got[f"{goal}|{channel}"] == pytest.approx(conversions, rel=1e-12)
    purchases = sum(v for k, v in got.items() if k.startswith("purchase|"))
    assert purchases == pytest.approx(2758 - 80)  # the sample's purchases, less those on empty paths


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--goals", "purchase"], "--goals needs --conversion-type"),
        (["--conversion-type", "event", "--goals", "purchase,lead"], "'lead' never occurs (values: purchase, sign-up"),
        (["--by", "country,,period"], "--by: expected distinct"),
        (["--by", "region"], "column 'region' (--by region)"),
        (["--spend", "no-such-file.csv"], "spend file not found"),
    ],
)
def test_bad_decision_arguments(capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert fragment in err
