"""GA4 default channel grouping: Google's rules row by row, their order, and the vectorised plumbing."""

from __future__ import annotations

import re
from pathlib import Path
from random import Random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution import AttributionError, ParameterError
from attribution import channels as channels_module
from attribution.channels import DEFAULT_CHANNEL_GROUPS, default_grouping

DOCS = Path(__file__).resolve().parent.parent / "docs" / "channels.md"

# (source, medium, campaign) -> group, from the rules of Google's "[GA4] Default channel group" article.
CASES: list[tuple[str | None, str | None, str | None, str]] = [
    # Direct: source exactly "(direct)" and medium one of "(not set)", "(none)"
    ("(direct)", "(none)", None, "Direct"),
    ("(direct)", "(not set)", None, "Direct"),
    ("(direct)", "(none)", "cross-network", "Direct"),  # Direct comes before Cross-network
    ("(direct)", "cpc", None, "Paid Other"),  # not Direct: the medium is not (none)/(not set)
    # Cross-network: campaign contains "cross-network"
    ("google", "cpc", "pmax_cross-network_q3", "Cross-network"),
    ("some-source", "some-medium", "cross-network", "Cross-network"),
    # Paid Shopping: (shopping site or shopping campaign) and paid medium
    ("amazon", "cpc", None, "Paid Shopping"),
    ("partner", "cpc", "summer_shopping", "Paid Shopping"),
    ("google", "cpc", "shop_week", "Paid Shopping"),  # shopping comes before search
    ("partner", "retargeting", "eshop", "Paid Shopping"),
    ("partner", "ppc", "workshop", "Paid Other"),  # "shop" after a letter other than e is not shopping
    # Paid Search: search site and paid medium
    ("google", "cpc", None, "Paid Search"),
    ("bing", "ppc", None, "Paid Search"),
    ("duckduckgo", "paid_search", None, "Paid Search"),
    ("google", "cpm", None, "Paid Search"),  # Paid Search comes before Display
    # Paid Social: social site and paid medium
    ("facebook", "cpc", None, "Paid Social"),
    ("instagram", "paid_social", None, "Paid Social"),
    ("linkedin", "retargeting", None, "Paid Social"),
    ("tiktok", "paidsocial", None, "Paid Social"),
    # Paid Video: video site and paid medium
    ("youtube", "cpc", None, "Paid Video"),
    ("vimeo", "cpv", None, "Paid Video"),
    # Display: medium one of display, banner, expandable, interstitial, cpm
    ("partner", "display", None, "Display"),
    ("partner", "banner", None, "Display"),
    ("partner", "expandable", None, "Display"),
    ("partner", "interstitial", None, "Display"),
    ("partner", "cpm", None, "Display"),  # Display comes before Paid Other
    ("google", "display", None, "Display"),
    # Paid Other: paid medium, no site rule above
    ("partner", "cpc", None, "Paid Other"),
    ("partner", "cpa", None, "Paid Other"),
    ("newsletter", "cpc", None, "Paid Other"),  # Paid Other comes before Email
    ("email", "paid", None, "Paid Other"),
    # Organic Shopping: shopping site or shopping campaign
    ("amazon", "referral", None, "Organic Shopping"),
    ("ebay.com", "referral", None, "Organic Shopping"),
    ("facebook", "referral", "shopping_feed", "Organic Shopping"),  # shopping comes before social
    # Organic Social: social site or social medium
    ("facebook", "referral", None, "Organic Social"),
    ("l.facebook.com", "referral", None, "Organic Social"),
    ("t.co", "referral", None, "Organic Social"),
    ("partner", "social", None, "Organic Social"),
    ("partner", "social media", None, "Organic Social"),
    ("facebook", "email", None, "Organic Social"),  # Organic Social comes before Email
    ("youtube", "social", None, "Organic Social"),  # ... and before Organic Video
    # Organic Video: video site or medium containing "video"
    ("youtube", "referral", None, "Organic Video"),
    ("m.youtube.com", "referral", None, "Organic Video"),
    ("partner", "video_post", None, "Organic Video"),
    # Organic Search: search site or medium "organic"
    ("google", "organic", None, "Organic Search"),
    ("bing.com", "referral", None, "Organic Search"),
    ("google.co.uk", "referral", None, "Organic Search"),
    ("startpage", "organic", None, "Organic Search"),
    # Referral: medium one of referral, app, link
    ("example.com", "referral", None, "Referral"),
    ("partner", "app", None, "Referral"),
    ("partner", "link", None, "Referral"),
    ("x", "referral", None, "Referral"),  # a bare "x" is no site (x.com is)
    # Email: source or medium one of email, e-mail, e_mail, e mail
    ("newsletter", "email", None, "Email"),
    ("email", "newsletter", None, "Email"),
    ("crm", "e-mail", None, "Email"),
    ("e_mail", "weekly", None, "Email"),
    ("crm", "e mail", None, "Email"),
    # Affiliates: medium "affiliate"
    ("partner", "affiliate", None, "Affiliates"),
    # Audio: medium "audio"
    ("spotify", "audio", None, "Audio"),
    # SMS: source or medium "sms"
    ("x", "sms", None, "SMS"),
    ("sms", "text", None, "SMS"),
    # Mobile Push Notifications: medium ends with "push" or contains "mobile"/"notification", or source "firebase"
    ("firebase", "push", None, "Mobile Push Notifications"),
    ("app", "mobile push", None, "Mobile Push Notifications"),
    ("app", "web-push", None, "Mobile Push Notifications"),
    ("app", "in-app-notification", None, "Mobile Push Notifications"),
    ("firebase", "(none)", None, "Mobile Push Notifications"),
    # Unassigned: nothing matches
    ("partner", "print", None, "Unassigned"),
    ("partner", "affiliates", None, "Unassigned"),  # Affiliates is an exact match on "affiliate"
    ("unknown", "(none)", None, "Unassigned"),
    (None, None, None, "Unassigned"),
]


def _group(source: str | None, medium: str | None, campaign: str | None = None) -> str:
    return str(default_grouping([source], [medium], [campaign]).iloc[0])


@pytest.mark.parametrize(("source", "medium", "campaign", "expected"), CASES)
def test_google_rules_row_by_row(source: str | None, medium: str | None, campaign: str | None, expected: str) -> None:
    assert _group(source, medium, campaign) == expected


def test_the_table_covers_every_group() -> None:
    assert {case[-1] for case in CASES} == set(DEFAULT_CHANNEL_GROUPS)


def test_the_whole_table_at_once_equals_row_by_row() -> None:
    frame = pd.DataFrame(CASES, columns=["source", "medium", "campaign", "expected"])
    result = default_grouping(frame["source"], frame["medium"], frame["campaign"])
    pd.testing.assert_series_equal(result, frame["expected"].astype(object), check_names=False)
    assert result.name == "channel_group"


def test_groups_constant() -> None:
    assert isinstance(DEFAULT_CHANNEL_GROUPS, tuple)
    assert len(DEFAULT_CHANNEL_GROUPS) == len(set(DEFAULT_CHANNEL_GROUPS)) == 19
    assert DEFAULT_CHANNEL_GROUPS[0] == "Direct"
    assert DEFAULT_CHANNEL_GROUPS[-1] == "Unassigned"


@pytest.mark.parametrize(
    ("source", "medium", "campaign", "expected"),
    [
        ("  GOOGLE ", "CPC", None, "Paid Search"),
        ("Google", " Organic\t", None, "Organic Search"),
        ("FaceBook.COM", "Referral", None, "Organic Social"),
        ("partner", "CPC", "SUMMER_SHOPPING", "Paid Shopping"),
        ("partner", "x", " PMax Cross-Network ", "Cross-network"),
        (" (Direct) ", " (NONE)", None, "Direct"),
        ("NewsLetter", "E-Mail", None, "Email"),
        ("FIREBASE", "x", None, "Mobile Push Notifications"),
    ],
)
def test_case_and_surrounding_whitespace_are_ignored(
    source: str, medium: str, campaign: str | None, expected: str
) -> None:
    assert _group(source, medium, campaign) == expected


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, "", "   "])
def test_missing_values_count_as_not_set(missing: object) -> None:
    result = default_grouping(
        ["(direct)", missing, missing, missing, "google"],
        [missing, "organic", missing, "email", "cpc"],
        [missing, missing, missing, missing, missing],
    )
    assert result.tolist() == ["Direct", "Organic Search", "Unassigned", "Email", "Paid Search"]


def test_missing_campaign_argument_is_not_set() -> None:
    with_none = default_grouping(["google", "amazon"], ["cpc", "referral"])
    with_nan = default_grouping(["google", "amazon"], ["cpc", "referral"], [np.nan, np.nan])
    pd.testing.assert_series_equal(with_none, with_nan)
    assert with_none.tolist() == ["Paid Search", "Organic Shopping"]


def test_all_missing_float_columns_are_accepted() -> None:
    frame = pd.DataFrame({"source": ["google", "x"], "medium": ["organic", "sms"], "campaign": [np.nan, np.nan]})
    assert frame["campaign"].dtype == np.float64
    assert default_grouping(frame["source"], frame["medium"], frame["campaign"]).tolist() == [
        "Organic Search",
        "SMS",
    ]


def test_offline_labels_pass_through_unchanged() -> None:
    result = default_grouping(
        ["google", None, "facebook", None, "(direct)"],
        ["organic", None, "cpc", None, "(none)"],
        offline=[None, "Store visit", np.nan, "  call Center ", pd.NA],
    )
    assert result.tolist() == ["Organic Search", "Store visit", "Paid Social", "  call Center ", "Direct"]


def test_offline_wins_over_the_rules() -> None:
    assert default_grouping(["google"], ["cpc"], offline=["TV"]).tolist() == ["TV"]


def test_result_has_the_index_of_a_source_series() -> None:
    index = pd.Index(["a", "b", "c"], name="session")
    source = pd.Series(["google", "facebook", "example.com"], index=index)
    medium = pd.Series(["cpc", "referral", "referral"], index=index)
    result = default_grouping(source, medium)
    assert result.index.equals(index)
    assert result.to_dict() == {"a": "Paid Search", "b": "Organic Social", "c": "Referral"}
    assert result.dtype == object


def test_array_likes_pair_by_position_with_a_range_index() -> None:
    result = default_grouping(np.array(["google", "bing"]), ("organic", "cpc"), pd.Index(["a", "b"]))
    assert result.index.equals(pd.RangeIndex(2))
    assert result.tolist() == ["Organic Search", "Paid Search"]


@pytest.mark.parametrize("dtype", [object, "string", "category"])
def test_string_and_categorical_columns(dtype: object) -> None:
    source = pd.Series(["google", None, "youtube"], dtype=dtype)  # type: ignore[call-overload]
    medium = pd.Series(["cpc", "organic", None], dtype=dtype)  # type: ignore[call-overload]
    assert default_grouping(source, medium).tolist() == ["Paid Search", "Organic Search", "Organic Video"]


def test_empty_input() -> None:
    result = default_grouping([], [], [], offline=[])
    assert len(result) == 0
    assert result.dtype == object


def test_many_rows_few_triples() -> None:
    n = 200_000
    source = np.resize(np.array(["google", "facebook", None, "(direct)"], dtype=object), n)
    medium = np.resize(np.array(["cpc", "referral", "organic"], dtype=object), n)
    result = default_grouping(source, medium)
    expected = [_group(s, m) for s, m in zip(source[:12], medium[:12], strict=True)]
    assert result.iloc[:12].tolist() == expected
    assert result.iloc[12:24].tolist() == expected  # the pattern repeats every 12 rows
    assert set(result) <= set(DEFAULT_CHANNEL_GROUPS)


# --------------------------------------------------------------------------- bad input


def test_errors_are_parameter_errors() -> None:
    assert issubclass(ParameterError, AttributionError)
    assert issubclass(ParameterError, ValueError)


def test_a_number_among_the_sources_is_named_with_its_position() -> None:
    with pytest.raises(
        ParameterError,
        match=re.escape(
            "parameter 'source' of default_grouping must hold strings or missing values (None/NaN); "
            "got 42 at position 1. Fix: map codes to their names first"
        ),
    ):
        default_grouping(["google", 42, 7], ["cpc", "organic", "referral"])


@pytest.mark.parametrize(
    ("name", "bad"),
    [("medium", 3.5), ("campaign", True), ("offline", b"TV")],
)
def test_non_strings_in_any_argument(name: str, bad: object) -> None:
    arguments: dict[str, object] = {"source": ["a", "b"], "medium": ["c", "d"], "campaign": None, "offline": None}
    arguments[name] = ["ok", bad]
    with pytest.raises(ParameterError, match=rf"parameter '{name}' of default_grouping .* got {re.escape(repr(bad))}"):
        default_grouping(**arguments)  # type: ignore[arg-type]


def test_numeric_column_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'medium' .* got 1 at position 0\. Fix:"):
        default_grouping(pd.Series(["a", "b"]), pd.Series([1, 2]))


@pytest.mark.parametrize("name", ["medium", "campaign", "offline"])
def test_lengths_must_agree(name: str) -> None:
    arguments: dict[str, object] = {"source": ["a", "b", "c"], "medium": ["x", "y", "z"]}
    arguments[name] = ["x", "y"]
    with pytest.raises(
        ParameterError,
        match=re.escape(
            f"parameter '{name}' of default_grouping must have one value per value of 'source' (3); got 2 values. Fix:"
        ),
    ):
        default_grouping(**arguments)  # type: ignore[arg-type]


def test_series_with_different_indexes_are_refused() -> None:
    source = pd.Series(["google", "bing"], index=[0, 1])
    medium = pd.Series(["cpc", "organic"], index=[1, 0])
    with pytest.raises(ParameterError, match=r"parameter 'medium' .* must have the index of 'source'.*Fix: .*to_numpy"):
        default_grouping(source, medium)
    assert default_grouping(source, medium.to_numpy()).tolist() == ["Paid Search", "Organic Search"]


@pytest.mark.parametrize(
    ("bad", "what"),
    [
        ("google", "got a str"),
        ([["google"]], "got a 2-dimensional list"),
        (pd.DataFrame({"s": ["a"]}), "2-dimensional"),
    ],
)
def test_source_must_be_one_dimensional(bad: object, what: str) -> None:
    with pytest.raises(
        ParameterError, match=rf"parameter 'source' of default_grouping must be a one-dimensional.*{what}"
    ):
        default_grouping(bad, ["cpc"])  # type: ignore[arg-type]


def test_ragged_input_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'medium' .* one-dimensional"):
        default_grouping(["a", "b"], [["cpc"], "x", ["y", "z"]])


# --------------------------------------------------------------------------- properties

SOURCES = [
    "google", "Google ", "bing.com", "facebook", "l.facebook.com", "x.com", "x", "youtube", "amazon",
    "(direct)", "newsletter", "email", "sms", "firebase", "partner", "example.com", "", None,
]  # fmt: skip
MEDIUMS = [
    "cpc", "CPC", "paid_social", "retargeting", "display", "cpm", "organic", "referral", "social", "video",
    "email", "affiliate", "audio", "sms", "web-push", "mobile", "(none)", "(not set)", "print", None,
]  # fmt: skip
CAMPAIGNS = ["summer_shopping", "eshop", "workshop", "pmax cross-network", "brand", "", None]


def _values(choices: list[str | None]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.sampled_from(choices), st.text(alphabet="abcpsh -_().", max_size=8))


rows = st.lists(st.tuples(_values(SOURCES), _values(MEDIUMS), _values(CAMPAIGNS)), max_size=25)


@settings(max_examples=40, deadline=None)
@given(rows)
def test_vectorised_equals_row_by_row(triples: list[tuple[str | None, str | None, str | None]]) -> None:
    frame = pd.DataFrame(triples, columns=["source", "medium", "campaign"], dtype=object)
    result = default_grouping(frame["source"], frame["medium"], frame["campaign"])
    assert result.tolist() == [_group(s, m, c) for s, m, c in triples]
    assert set(result) <= set(DEFAULT_CHANNEL_GROUPS)


@settings(max_examples=40, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_row_order(
    triples: list[tuple[str | None, str | None, str | None]], rnd: Random
) -> None:
    frame = pd.DataFrame(triples, columns=["source", "medium", "campaign"], dtype=object)
    order = list(range(len(frame)))
    rnd.shuffle(order)
    shuffled = frame.iloc[order]
    straight = default_grouping(frame["source"], frame["medium"], frame["campaign"])
    permuted = default_grouping(shuffled["source"], shuffled["medium"], shuffled["campaign"])
    pd.testing.assert_series_equal(permuted.sort_index(), straight)


# --------------------------------------------------------------------------- the docs page stays true


def _docs_table(header: str) -> list[list[str]]:
    text = DOCS.read_text(encoding="utf-8")
    lines = text[text.index(header) :].splitlines()[2:]
    table = []
    for line in lines:
        if not line.startswith("|"):
            break
        # split on pipes outside backticks
        cells = re.findall(r"((?:`[^`]*`|[^|`])*)\|", line[1:])
        table.append([cell.strip() for cell in cells])
    return table


def test_docs_rules_table_lists_the_groups_in_order() -> None:
    table = _docs_table("| # | channel group | rule |")
    assert [row[1] for row in table] == list(DEFAULT_CHANNEL_GROUPS)
    assert [int(row[0]) for row in table] == list(range(1, 20))


def test_docs_site_lists_match_the_module() -> None:
    table = _docs_table("| category | names | hosts |")
    organic = {"search": "Organic Search", "social": "Organic Social", "video": "Organic Video"}
    organic["shopping"] = "Organic Shopping"
    for category, names, hosts in table:
        documented_names = tuple(n.strip() for n in names.split(",") if n.strip())
        documented_hosts = tuple(h.strip() for h in hosts.split(",") if h.strip())
        assert documented_names == channels_module._SITE_NAMES[category]
        assert documented_hosts == channels_module._SITE_HOSTS[category]
        sites = [*documented_names, *documented_hosts]
        assert default_grouping(sites, ["referral"] * len(sites)).eq(organic[category]).all(), category
    assert {row[0] for row in table} == set(channels_module._SITE_NAMES)
