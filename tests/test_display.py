"""Every public result reads well: text reprs, notebook HTML, numbers for people; Comparison as a mapping."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import pytest

from attribution import Comparison, FirstTouch, Journeys, LastTouch, Linear, MarkovChain, Shapley, compare, select_order
from attribution._display import (
    Column,
    Report,
    count_cells,
    counted,
    format_count,
    format_measure,
    format_money,
    format_probability,
    format_rate,
    format_share,
)
from attribution.evaluate import bootstrap, simulate


@pytest.fixture
def small() -> Journeys:
    """Two paths whose credits are easy to check by hand (linear: A 0.5, B 2.5)."""
    return Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 2], value=[1000.5, 2000])


@pytest.fixture
def with_nulls() -> Journeys:
    """The same paths with non-converting journeys, so a Markov chain and order selection can run."""
    return Journeys.from_sequences(
        [["A", "B"], ["B"], ["A"]], conversions=[1, 2, 0], nulls=[1, 1, 2], value=[1000.5, 2000, 0]
    )


# ---------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("format_", "value", "written"),
    [
        (format_count, 2758.0, "2,758"),
        (format_count, 178.491, "178.49"),
        (format_count, 4.000000000001, "4"),  # a sum of credits, whole up to rounding
        (format_count, -1e-9, "0"),
        (format_count, -0.001, "0.00"),  # never "-0.00"
        (format_count, float("nan"), "n/a"),
        (format_money, 212054.04, "212,054.04"),
        (format_money, 1e12, "1,000,000,000,000.00"),  # no scientific notation for money
        (format_money, 2000, "2,000.00"),
        (format_share, 0.234, "23.4%"),
        (format_share, 1.0, "100.0%"),
        (format_share, 0.0001, "<0.1%"),
        (format_share, 0.0, "0.0%"),
        (format_rate, 0.05454, "5.45%"),
        (format_probability, 0.0452, "0.0452"),
        (format_probability, 0.444444, "0.4444"),
        (format_probability, 1.23456e-5, "0.0000123"),
        (format_measure, 0.69314718, "0.6931"),
        (format_measure, 1234.5678, "1,235"),
    ],
)
def test_numbers_are_written_for_people(format_: Callable[[float], str], value: float, written: str) -> None:
    assert format_(value) == written


def test_a_column_of_counts_shares_its_decimals() -> None:
    assert count_cells([1.0, 2.0]) == ["1", "2"]
    assert count_cells([1.0, 2.5]) == ["1.00", "2.50"]


def test_a_count_takes_its_noun_in_the_singular_for_one() -> None:
    assert (counted(1, "conversion"), counted(0, "conversion")) == ("1 conversion", "0 conversions")
    assert counted(3, "touch", "touches") == "3 touches"


def test_a_wide_table_continues_in_blocks_that_repeat_the_labels() -> None:
    columns = [Column("channel", ["A"], numeric=False)] + [Column(f"model {i:02d}", ["50.0%"]) for i in range(20)]
    lines = Report("wide", table=columns).text().splitlines()
    assert max(len(line) for line in lines) <= 120
    headers = [line for line in lines if line.startswith("channel")]
    assert len(headers) > 1
    assert "model 19" in lines[-1 - 1] or "model 19" in headers[-1]


def test_a_long_table_says_how_many_rows_it_leaves_out() -> None:
    report = Report("long", table=[Column("row", [str(i) for i in range(100)], numeric=False)], max_rows=10)
    assert report.text().splitlines()[-1] == "... 90 more rows"
    assert "<p>... 90 more rows</p>" in report.html()


# ---------------------------------------------------------------------- exact text of each result
def test_attribution_text(small: Journeys) -> None:
    assert repr(Linear().attribute(small)) == (
        "Attribution: Linear\n"
        "credited:     3 conversions (value 3,000.50) to 2 channels\n"
        "unattributed: 0 conversions (value 0.00) on empty paths\n"
        "channel  conversions     value  share\n"
        "A               0.50    500.25  16.7%\n"
        "B               2.50  2,500.25  83.3%"
    )


def test_attribution_html_holds_the_same_numbers(small: Journeys) -> None:
    page = Linear().attribute(small)._repr_html_()
    assert page.startswith("<div><p><strong>Attribution: Linear</strong></p>")
    for cell in ("0.50", "2,500.25", "16.7%", "83.3%", "3 conversions (value 3,000.50) to 2 channels"):
        assert f">{cell}<" in page


def test_unattributed_conversions_are_said_in_the_singular_and_plural() -> None:
    journeys = Journeys.from_sequences([["A"], []], conversions=[1, 1], value=[10, 35])
    assert "unattributed: 1 conversion (value 35.00) on empty paths" in repr(Linear().attribute(journeys))


def test_grouped_attribution_text() -> None:
    journeys = Journeys.from_sequences(
        [["A", "B"], ["B"]], conversions=[1, 2], value=[1000.5, 2000], attributes={"country": ["ID", "SG"]}
    )
    assert repr(Linear().attribute(journeys, by="country")) == (
        "Attribution: Linear by country (2 groups)\n"
        "credited:     3 conversions (value 3,000.50) to 2 channels, over 2 groups\n"
        "unattributed: 0 conversions (value 0.00) on empty paths\n"
        "country  channel  conversions     value   share\n"
        "ID       A               0.50    500.25   50.0%\n"
        "ID       B               0.50    500.25   50.0%\n"
        "SG       A               0.00      0.00    0.0%\n"
        "SG       B               2.00  2,000.00  100.0%"
    )


def test_markov_attribution_shows_removal_effects_and_the_chain(with_nulls: Journeys) -> None:
    text = repr(MarkovChain().attribute(with_nulls))
    assert text.splitlines()[3:] == [
        "chain:        order 1, 2 states, conversion probability 0.4286",
        "channel  conversions     value  share  removal effect",
        "A               0.86    857.29  28.6%          0.4000",
        "B               2.14  2,143.21  71.4%          1.0000",
    ]


def test_fitted_chain_text_says_how_it_was_fitted(with_nulls: Journeys) -> None:
    assert repr(MarkovChain().fit(with_nulls)) == (
        "Fitted Markov chain: order 1, 2 states over 2 channels\n"
        "fitted on:              7 journeys with touches (3 converting, 4 not)\n"
        "repeats:                consecutive touches of one channel merged (collapse_repeats=True)\n"
        "transitions:            1 between states, plus start and end steps\n"
        "conversion probability: 0.4286\n"
        "value per journey:      428.64\n"
        "channels:               A, B"
    )


def test_shapley_attribution_shows_the_method_and_raw_values(with_nulls: Journeys) -> None:
    exact = repr(Shapley(value="conversion_rate").attribute(with_nulls)).splitlines()
    assert exact[3] == "method:       exact, over all 4 coalitions of the channels"
    assert exact[4:] == [
        "channel  conversions     value   share  Shapley value",
        "A                  0      0.00    0.0%        -0.0833",
        "B                  3  3,000.50  100.0%         0.5833",
    ]
    sampled = repr(Shapley(value="conversion_rate", method="sampling", n_permutations=20, seed=0).attribute(with_nulls))
    assert "method:       sampled: 20 permutations (standard errors below)" in sampled
    assert "standard error" in sampled.splitlines()[4]
    closed = repr(Shapley().attribute(with_nulls))
    assert "method:       closed form: each path's conversions shared equally among its distinct channels" in closed


def test_journeys_text(small: Journeys) -> None:
    assert repr(small) == (
        "Journeys: 3 journeys in 2 rows, 3 conversions (value 3,000.50), 2 channels, touch times: no\n"
        "row  path   conversions  nulls     value\n"
        "0    A > B            1      0  1,000.50\n"
        "1    B                2      0  2,000.00"
    )


def test_journeys_text_names_the_empty_path_and_the_rows_left_out() -> None:
    journeys = Journeys.from_sequences([[]] + [["A"]] * 9, conversions=[1] * 10)
    lines = repr(journeys).splitlines()
    assert lines[2] == "0    (empty)            1      0   0.00"
    assert lines[-1] == "... 2 more rows"


def test_journeys_summary_speaks_plainly(small: Journeys) -> None:
    summary = small.summary()
    assert (
        str(summary)
        == repr(summary)
        == (
            "Journeys summary\n"
            "journeys:     3 in 2 distinct paths (3 touches)\n"
            "conversions:  3 (100.00% of journeys)\n"
            "value:        3,000.50\n"
            "unattributed: 0 conversions (value 0.00) on empty paths\n"
            "channels:     2: A, B\n"
            "path length:  mean 1.33 touches; 1: 66.7%, 2: 33.3%\n"
            "touch times:  no"
        )
    )


def test_journeys_summary_keeps_its_fields_and_dict(small: Journeys) -> None:
    summary = small.summary()
    assert summary.to_dict()["journeys"] == 3.0
    assert summary.to_dict()["length_distribution"] == {1: 2.0, 2: 1.0}
    assert summary.to_dict()["distinct_paths"] == 2  # A > B and B
    assert json.loads(json.dumps(summary.to_dict()))["channels"] == ["A", "B"]


def test_comparison_text(small: Journeys) -> None:
    assert repr(compare(small, [FirstTouch(), Linear()])) == (
        "Comparison of 2 models: share of conversions\n"
        "channel  First touch  Linear\n"
        "A              33.3%   16.7%\n"
        "B              66.7%   83.3%"
    )


def test_comparison_says_what_every_model_leaves_unattributed() -> None:
    journeys = Journeys.from_sequences([["A"], []], conversions=[1, 2], value=[10, 35])
    text = repr(compare(journeys, [FirstTouch(), Linear()]))
    assert text.splitlines()[1] == "unattributed: 2 conversions (value 35.00) on empty paths, by every model"


def test_bootstrap_text_says_model_replicates_seed_failures_and_level() -> None:
    journeys = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[10, 20], nulls=[30, 40], value=[1000.5, 2000])
    result = bootstrap(journeys, Linear(), n=20, seed=0, level=0.9)
    lines = repr(result).splitlines()
    assert lines[:3] == [
        "Bootstrap of Linear: 20 replicates, 90% intervals",
        "seed:              0",
        "failed replicates: none",
    ]
    assert re.split(r"\s{2,}", lines[3]) == [
        "channel", "conversions", "90% interval", "value", "90% interval", "share", "90% interval", "same rank"
    ]  # fmt: skip
    assert re.fullmatch(
        r"A +5\.00 +\d\.\d\d to \d\.\d\d +500\.25 +[\d,.]+ to [\d,.]+ +16\.7% +[\d.]+% to [\d.]+% +100\.0%", lines[4]
    )
    assert lines[-1] == "same rank: the share of replicates in which the channel keeps its full-data rank"
    assert (result.model, result.seed) == ("Linear", 0)


def test_order_selection_text_marks_the_best_order() -> None:
    journeys = Journeys.from_sequences(
        [["A", "B"], ["B", "A"], ["A"], ["B"]], conversions=[30, 5, 10, 10], nulls=[10, 35, 30, 30]
    )
    lines = repr(select_order(journeys, max_order=2, cv=3, seed=1)).splitlines()
    assert lines[0] == "Order selection: best order 2 by held-out log-loss (lower is better)"
    assert lines[2].split() == ["order", "fold", "1", "fold", "2", "fold", "3", "mean", "std"]
    assert lines[3].startswith("1 ")
    assert lines[4].startswith("2 (best) ")
    assert re.search(r"0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}", lines[3])


def test_simulation_text_shows_the_truth_not_the_event_log() -> None:
    text = repr(simulate(2_000, seed=1))
    lines = text.splitlines()
    assert lines[0] == "Simulation: 2,000 users, seed 1"
    assert lines[1].startswith("events:")
    assert "rows (touches and conversions)" in lines[1]
    assert lines[5].split() == ["channel", "incremental", "incremental_share", "shapley", "shapley_share"]
    assert len(lines) == 6 + 5  # five channels, not the event log


# ---------------------------------------------------------------------- every public result type
def _every_result(label: str) -> dict[str, Any]:
    """One of each public result type, on journeys with a channel called ``label``."""
    journeys = Journeys.from_sequences(
        [[label, "B"], ["B"], [label], [label, "B"]],
        conversions=[30, 20, 0, 5],
        nulls=[30, 40, 50, 10],
        value=[3000.5, 2000, 0, 100],
        attributes={"country": [label, "SG", "SG", label]},
    )
    return {
        "Journeys": journeys,
        "JourneysSummary": journeys.summary(),
        "Attribution": Linear().attribute(journeys),
        "GroupedAttribution": Linear().attribute(journeys, by="country"),
        "MarkovAttribution": MarkovChain().attribute(journeys),
        "FittedMarkovChain": MarkovChain().fit(journeys),
        "ShapleyAttribution": Shapley(value="conversion_rate").attribute(journeys),
        "Comparison": compare(journeys, [FirstTouch(), LastTouch()]),
        "BootstrapResult": bootstrap(journeys, Linear(), n=10, seed=0),
        "OrderSelection": select_order(journeys, max_order=2, cv=2, seed=0),
        "Simulation": simulate(500, channels={label: (1.0, (0.3, 0.3, 0.3)), "B": (1.0, (0.2, 0.2, 0.2))}, seed=0),
    }


RESULT_TYPES = list(_every_result("A"))
LABELLED = [kind for kind in RESULT_TYPES if kind != "OrderSelection"]  # scores by order: no channel to show


@pytest.mark.parametrize("kind", RESULT_TYPES)
def test_every_result_has_a_text_repr_of_its_own(kind: str) -> None:
    result = _every_result("Search")[kind]
    text = repr(result)
    assert "object at 0x" not in text
    assert not text.startswith(type(result).__name__ + "(")  # not a dataclass dump
    assert kind not in LABELLED or "Search" in text
    assert not re.search(r"\d\.\d+e[+-]\d", text), f"scientific notation in:\n{text}"
    assert not re.search(r"\d\.\d{6,}", text), f"unrounded numbers in:\n{text}"


@pytest.mark.parametrize("kind", RESULT_TYPES)
def test_every_result_has_notebook_html(kind: str) -> None:
    page = _every_result("Search")[kind]._repr_html_()
    assert page.startswith("<div><p><strong>")
    assert page.endswith("</div>")
    assert "<table>" in page


@pytest.mark.parametrize("kind", LABELLED)
def test_every_result_escapes_labels_in_html(kind: str) -> None:
    page = _every_result("<b>")[kind]._repr_html_()
    assert "&lt;b&gt;" in page
    assert "<b>" not in page


# ---------------------------------------------------------------------- Comparison as a mapping
def test_comparison_is_a_mapping_of_results_by_model_name(small: Journeys) -> None:
    comparison = compare(small, [FirstTouch(), Linear()])
    assert isinstance(comparison, Mapping)
    assert len(comparison) == 2
    assert list(comparison) == list(comparison.keys()) == ["First touch", "Linear"]
    assert "Linear" in comparison
    assert "Markov" not in comparison
    assert ["Linear"] not in comparison
    assert comparison["Linear"] is comparison.results["Linear"]
    assert comparison["Linear"].credits["conversions"].tolist() == [0.5, 2.5]
    assert [name for name, _ in comparison.items()] == ["First touch", "Linear"]
    assert [r.model.name for r in comparison.values()] == ["First touch", "Linear"]
    assert comparison.get("Markov") is None
    assert dict(comparison) == comparison.results


def test_a_missing_model_is_a_key_error_that_lists_the_models(small: Journeys) -> None:
    comparison = compare(small, [FirstTouch(), Linear()])
    with pytest.raises(KeyError, match=r"no model 'Markov' in this comparison; its models are 'First touch', 'Linear'"):
        comparison["Markov"]


def test_comparison_shares_are_models_by_channels(small: Journeys) -> None:
    shares = compare(small, [FirstTouch(), Linear()]).shares
    expected = pd.DataFrame(
        [[1 / 3, 2 / 3], [1 / 6, 5 / 6]],
        index=pd.Index(["First touch", "Linear"], name="model"),
        columns=pd.Index(["A", "B"], name="channel"),
    )
    pd.testing.assert_frame_equal(shares, expected, check_exact=False, rtol=1e-12)


def test_grouped_comparison_shares_are_indexed_by_model_and_keys() -> None:
    journeys = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[1, 2], attributes={"country": ["ID", "SG"]})
    shares = compare(journeys, [FirstTouch(), Linear()], by="country").shares
    assert shares.index.names == ["model", "country"]
    assert shares.loc[("Linear", "ID")].tolist() == [0.5, 0.5]
    assert shares.loc[("First touch", "SG")].tolist() == [0.0, 1.0]


def test_comparison_to_frame_is_the_tidy_table(small: Journeys) -> None:
    comparison = compare(small, [FirstTouch(), Linear()])
    frame = comparison.to_frame()
    assert list(frame.columns) == ["model", "channel", "conversions", "value", "share"]
    assert frame["model"].tolist() == ["First touch", "First touch", "Linear", "Linear"]
    pd.testing.assert_frame_equal(frame, comparison.long())
    frame.loc[0, "conversions"] = 99.0
    assert comparison.to_frame().loc[0, "conversions"] == 1.0  # a copy


def test_comparison_of_still_takes_a_comparison_a_mapping_and_a_list(small: Journeys) -> None:
    comparison = compare(small, [FirstTouch(), Linear()])
    assert Comparison.of(comparison) is comparison
    assert Comparison.of(dict(comparison)).models == comparison.models
    assert Comparison.of(list(comparison.values())).models == comparison.models


# ---------------------------------------------------------------------- to_dict
def test_attribution_to_dict_is_plain_json(small: Journeys) -> None:
    document = Linear().attribute(small).to_dict()
    assert json.loads(json.dumps(document, allow_nan=False)) == document
    assert document["model"] == "Linear"
    assert document["credits"]["B"] == {"conversions": 2.5, "value": 2500.25, "share": pytest.approx(5 / 6)}
    assert document["unattributed"] == {"conversions": 0.0, "value": 0.0}


def test_to_dict_params_are_plain_values(small: Journeys) -> None:
    def my_game(coalition: frozenset[str]) -> float:
        return float(len(coalition))

    assert FirstTouch().attribute(small).to_dict()["params"] == {}
    params = Shapley(value=my_game).attribute(small).to_dict()["params"]
    assert params["value"] == "my_game"
    json.dumps(params, allow_nan=False)


def test_grouped_to_dict_is_the_ungrouped_document_plus_groups() -> None:
    journeys = Journeys.from_sequences(
        [["A", "B"], ["B"], ["A"], []],
        conversions=[1, 2, 1, 1],
        value=[10, 20, 0, 5],
        attributes={"country": ["ID", "SG", None, "ID"]},
    )
    document = Linear().attribute(journeys, by="country").to_dict()
    assert json.loads(json.dumps(document, allow_nan=False)) == document
    assert set(document) == {"model", "params", "credits", "unattributed", "by", "groups"}
    assert document["credits"]["B"]["conversions"] == 2.5
    assert document["unattributed"] == {"conversions": 1.0, "value": 5.0}
    assert [group["key"] for group in document["groups"]] == [{"country": "ID"}, {"country": "SG"}, {"country": None}]
    alone = Linear().attribute(journeys[[1]]).to_dict()  # the SG row on its own
    assert document["groups"][1]["credits"]["B"] == alone["credits"]["B"]
