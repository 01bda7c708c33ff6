"""GA4's default channel grouping: source, medium and campaign to a channel group, vectorised.

The rules are those Google publishes for manually tagged traffic in the "[GA4] Default
channel group" article (https://support.google.com/analytics/answer/9756891), evaluated
in Google's order: the first rule that matches gives the group, and a row no rule
matches is ``"Unassigned"``. Google's rules refer to downloadable lists of search,
social, video and shopping sites; this module embeds a documented subset of well-known
sites for each (see :func:`default_grouping`).

The rules run once per distinct (source, medium, campaign) triple, with pandas string
methods, and the groups are mapped back to the rows: grouping millions of rows costs
little more than factorising them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution._checks import describe
from attribution.errors import ParameterError

__all__ = ["DEFAULT_CHANNEL_GROUPS", "default_grouping"]

#: The default channel groups in Google's order of evaluation; ``"Unassigned"`` (no rule matched) last.
DEFAULT_CHANNEL_GROUPS: tuple[str, ...] = (
    "Direct",
    "Cross-network",
    "Paid Shopping",
    "Paid Search",
    "Paid Social",
    "Paid Video",
    "Display",
    "Paid Other",
    "Organic Shopping",
    "Organic Social",
    "Organic Video",
    "Organic Search",
    "Referral",
    "Email",
    "Affiliates",
    "Audio",
    "SMS",
    "Mobile Push Notifications",
    "Unassigned",
)

#: One column of strings: a pandas Series or Index, a numpy array or a sequence.
StringColumn: TypeAlias = "pd.Series[Any] | pd.Index[Any] | npt.NDArray[Any] | Sequence[Any]"

_OWNER = "default_grouping"
_NOT_SET = "(not set)"

# Google's category lists (a spreadsheet linked from the article) name sites by the source
# value GA4 records for them. The subset below is matched on the lowercased, stripped
# source: a name matches itself, and also any host name built on it ("m.facebook.com",
# "google.co.uk", "uk.search.yahoo.com"); a host matches only itself.
_SITE_NAMES: dict[str, tuple[str, ...]] = {
    "search": ("google", "bing", "yahoo", "baidu", "duckduckgo", "yandex", "ecosia", "naver", "seznam", "qwant"),
    "social": (
        "facebook",
        "fb",
        "instagram",
        "ig",
        "linkedin",
        "twitter",
        "pinterest",
        "reddit",
        "tiktok",
        "snapchat",
        "tumblr",
        "quora",
        "threads",
    ),
    "video": ("youtube", "vimeo", "twitch", "dailymotion"),
    "shopping": (
        "amazon",
        "ebay",
        "etsy",
        "shopify",
        "walmart",
        "alibaba",
        "aliexpress",
        "igshopping",
        "google shopping",
    ),
}
_SITE_HOSTS: dict[str, tuple[str, ...]] = {
    "search": (),
    "social": ("x.com", "t.co", "lnkd.in", "threads.net"),
    "video": ("youtu.be",),
    "shopping": ("shopping.google.com", "shop.app"),
}


def _site_pattern(names: tuple[str, ...], hosts: tuple[str, ...]) -> re.Pattern[str]:
    labels = "|".join(re.escape(name) for name in names if re.fullmatch(r"[a-z0-9-]+", name))
    exact = "|".join(re.escape(site) for site in (*names, *hosts))
    as_host = rf"(?:[a-z0-9-]+\.)*(?:{labels})\.[a-z]{{2,}}(?:\.[a-z]{{2}})?" if labels else None
    return re.compile(f"{exact}|{as_host}" if as_host else exact)


_SITES: dict[str, re.Pattern[str]] = {kind: _site_pattern(_SITE_NAMES[kind], _SITE_HOSTS[kind]) for kind in _SITE_NAMES}

# Google's regular expressions, as published (the values are lowercased before matching).
_PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
_SHOPPING_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
_VIDEO_MEDIUM = re.compile(r"^(.*video.*)$")
_DIRECT_MEDIUMS = ("(not set)", "(none)")
_DISPLAY_MEDIUMS = ("display", "banner", "expandable", "interstitial", "cpm")
_SOCIAL_MEDIUMS = ("social", "social-network", "social-media", "sm", "social network", "social media")
_REFERRAL_MEDIUMS = ("referral", "app", "link")
_EMAIL_VALUES = ("email", "e-mail", "e_mail", "e mail")


def default_grouping(
    source: StringColumn,
    medium: StringColumn,
    campaign: StringColumn | None = None,
    *,
    offline: StringColumn | None = None,
) -> pd.Series:
    """The GA4 default channel group of every (source, medium, campaign) row.

    Each row gets the group of the first of Google's rules it matches, in the order of
    :data:`DEFAULT_CHANNEL_GROUPS` ("Unassigned" when none does). Values are compared
    lowercased and stripped of surrounding whitespace. A missing value (None, NaN,
    ``pd.NA``) or an empty string counts as ``"(not set)"``, as GA4 records it: such rows
    are Unassigned unless another rule applies, e.g. ``(direct)`` with a missing medium
    is Direct.

    Parameters
    ----------
    source, medium
        Traffic source and medium of each row (``utm_source``, ``utm_medium``): strings
        or missing values, one per row.
    campaign
        Campaign name of each row (``utm_campaign``), or None when unknown (all
        ``"(not set)"``); used by the Cross-network and shopping rules.
    offline
        Channel label of offline touches ("Store visit", "TV", "Call center", ...), one
        per row, missing for online rows. Where it is given it passes through unchanged,
        whatever the source and medium say.

    Returns
    -------
    pandas.Series
        The channel group of each row (strings, dtype object) named ``channel_group``,
        with the index of ``source`` when it is a Series (a RangeIndex otherwise).

    Raises
    ------
    ParameterError
        If an argument is not one-dimensional, holds a value that is neither a string
        nor missing (the message names the first), is not as long as ``source``, or is a
        Series whose index differs from that of ``source``.

    Notes
    -----
    Google's rules say "source matches a list of search (social, video, shopping)
    sites". The lists embedded here are a subset of Google's: a name matches itself
    and any host name built on it (``google`` matches ``google.co.uk`` and
    ``m.google.com``), a host matches only itself.

    - search: google, bing, yahoo, baidu, duckduckgo, yandex, ecosia, naver, seznam, qwant;
    - social: facebook, fb, instagram, ig, linkedin, twitter, pinterest, reddit, tiktok,
      snapchat, tumblr, quora, threads; hosts x.com, t.co, lnkd.in, threads.net;
    - video: youtube, vimeo, twitch, dailymotion; host youtu.be;
    - shopping: amazon, ebay, etsy, shopify, walmart, alibaba, aliexpress, igshopping,
      "google shopping"; hosts shopping.google.com, shop.app.

    Google's lists are matched exactly, so a source Google lists but this subset does
    not (e.g. a regional search engine) falls to the rules on medium alone.

    Examples
    --------
    >>> from attribution.channels import default_grouping
    >>> default_grouping(
    ...     ["google", "Facebook", "(direct)", "newsletter", "partner", "example.com"],
    ...     ["cpc", "referral", "(none)", "email", "affiliate", "referral"],
    ... ).tolist()
    ['Paid Search', 'Organic Social', 'Direct', 'Email', 'Affiliates', 'Referral']

    The campaign decides Cross-network and shopping; offline labels pass through:

    >>> default_grouping(
    ...     ["google", "partner", None],
    ...     ["cpc", "cpc", None],
    ...     ["pmax_cross-network", "summer_shopping", None],
    ...     offline=[None, None, "Store visit"],
    ... ).tolist()
    ['Cross-network', 'Paid Shopping', 'Store visit']
    """
    sources = _column(source, "source", None)
    n = len(sources)
    index = source.index if isinstance(source, pd.Series) else pd.RangeIndex(n)
    mediums = _column(medium, "medium", (source, n))
    campaigns = None if campaign is None else _column(campaign, "campaign", (source, n))
    offlines = None if offline is None else _column(offline, "offline", (source, n))

    # Factorise each column, then evaluate the rules once per distinct triple.
    s_codes, s_values = _factorized(sources)
    m_codes, m_values = _factorized(mediums)
    if campaigns is None:
        c_codes, c_values = np.full(n, -1, dtype=np.intp), np.array([_NOT_SET], dtype=object)
    else:
        c_codes, c_values = _factorized(campaigns)
    sm_codes, sm_s, sm_m = _pairs(s_codes, m_codes, len(m_values))
    row_triple, triple_sm, triple_c = _pairs(sm_codes, c_codes, len(c_values))
    groups = _group(s_values[sm_s[triple_sm]], m_values[sm_m[triple_sm]], c_values[triple_c])
    result = groups[row_triple] if n else np.array([], dtype=object)
    if offlines is not None:
        given = offlines.notna().to_numpy()
        result = np.where(given, offlines.to_numpy(dtype=object), result)
    return pd.Series(result, index=index, dtype=object, name="channel_group")


def _column(values: Any, name: str, like: tuple[Any, int] | None) -> pd.Series:
    """``values`` as a Series of strings and missing values, checked (and as long as ``like``)."""
    try:
        ndim = -1 if isinstance(values, (str, bytes)) else np.ndim(values)
    except ValueError:  # ragged nested lists
        ndim = -1
    if ndim != 1:
        what = f"a {ndim}-dimensional {type(values).__name__}" if ndim >= 0 else f"a {type(values).__name__}"
        raise ParameterError(
            f"parameter {name!r} of {_OWNER} must be a one-dimensional array-like of strings; got {what}. "
            f"Fix: pass a column, e.g. df[{name!r}], or a list with one value per row."
        )
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object), dtype=object)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if like is not None:
        source, n = like
        if len(series) != n:
            raise ParameterError(
                f"parameter {name!r} of {_OWNER} must have one value per value of 'source' ({n}); "
                f"got {len(series)} values. Fix: pass columns of the same table."
            )
        if isinstance(values, pd.Series) and isinstance(source, pd.Series) and not values.index.equals(source.index):
            raise ParameterError(
                f"parameter {name!r} of {_OWNER} must have the index of 'source' when both are Series "
                f"(values are paired by position); got a different index. "
                f"Fix: pass columns of the same DataFrame, or call .to_numpy() on both to pair them by position."
            )
    if pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty") and not series.isna().all():
        position, bad = next((i, v) for i, v in enumerate(series.array) if not (isinstance(v, str) or _is_missing(v)))
        raise ParameterError(
            f"parameter {name!r} of {_OWNER} must hold strings or missing values (None/NaN); "
            f"got {describe(bad)} at position {position}. "
            f"Fix: map codes to their names first, or convert labels with .astype('string')."
        )
    return series


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays and other containers are not missing values
        return False


def _factorized(column: pd.Series) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """Codes of ``column`` and its distinct values normalised (lowercased, stripped); missing is code -1.

    The normalised values end with ``"(not set)"``, so code -1 indexes it.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    raw = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    normal = raw.str.strip().str.lower()
    normal = normal.where(normal != "", _NOT_SET)
    values = np.append(normal.to_numpy(dtype=object), np.array([_NOT_SET], dtype=object))
    return np.asarray(codes, dtype=np.intp), values


def _pairs(
    a: npt.NDArray[np.intp], b: npt.NDArray[np.intp], b_size: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Codes of the distinct (a, b) pairs of two code arrays, and each pair's a and b.

    Codes are in ``[-1, size)``: with ``b_size`` values of b, the key ``(a + 1) * (b_size + 1) + b + 1``
    is unique per pair and below ``(n + 2)^2``, far from overflowing int64.
    """
    width = b_size + 1
    key = (a.astype(np.int64) + 1) * width + (b.astype(np.int64) + 1)
    codes, uniques = pd.factorize(key)
    uniques = np.asarray(uniques, dtype=np.int64)
    return (
        np.asarray(codes, dtype=np.intp),
        (uniques // width - 1).astype(np.intp),
        (uniques % width - 1).astype(np.intp),
    )


def _group(
    source: npt.NDArray[np.object_], medium: npt.NDArray[np.object_], campaign: npt.NDArray[np.object_]
) -> npt.NDArray[np.object_]:
    """Google's rules on normalised (source, medium, campaign) triples, first match wins."""
    s = pd.Series(source, dtype=object)
    m = pd.Series(medium, dtype=object)
    c = pd.Series(campaign, dtype=object)

    def sites(kind: str) -> npt.NDArray[np.bool_]:
        return s.str.fullmatch(_SITES[kind]).to_numpy(dtype=bool)

    def full(column: pd.Series, pattern: re.Pattern[str]) -> npt.NDArray[np.bool_]:
        return column.str.fullmatch(pattern).to_numpy(dtype=bool)

    def one_of(column: pd.Series, choices: tuple[str, ...]) -> npt.NDArray[np.bool_]:
        return column.isin(choices).to_numpy(dtype=bool)

    search, social, video = sites("search"), sites("social"), sites("video")
    shopping = sites("shopping") | full(c, _SHOPPING_CAMPAIGN)
    paid = full(m, _PAID_MEDIUM)
    conditions = [
        (s == "(direct)").to_numpy(dtype=bool) & one_of(m, _DIRECT_MEDIUMS),  # Direct
        c.str.contains("cross-network", regex=False).to_numpy(dtype=bool),  # Cross-network
        shopping & paid,  # Paid Shopping
        search & paid,  # Paid Search
        social & paid,  # Paid Social
        video & paid,  # Paid Video
        one_of(m, _DISPLAY_MEDIUMS),  # Display
        paid,  # Paid Other
        shopping,  # Organic Shopping
        social | one_of(m, _SOCIAL_MEDIUMS),  # Organic Social
        video | full(m, _VIDEO_MEDIUM),  # Organic Video
        search | (m == "organic").to_numpy(dtype=bool),  # Organic Search
        one_of(m, _REFERRAL_MEDIUMS),  # Referral
        one_of(s, _EMAIL_VALUES) | one_of(m, _EMAIL_VALUES),  # Email
        (m == "affiliate").to_numpy(dtype=bool),  # Affiliates
        (m == "audio").to_numpy(dtype=bool),  # Audio
        (s == "sms").to_numpy(dtype=bool) | (m == "sms").to_numpy(dtype=bool),  # SMS
        (  # Mobile Push Notifications
            m.str.endswith("push").to_numpy(dtype=bool)
            | m.str.contains("mobile|notification").to_numpy(dtype=bool)
            | (s == "firebase").to_numpy(dtype=bool)
        ),
    ]
    choices = np.array(DEFAULT_CHANNEL_GROUPS[:-1], dtype=object)
    return np.select(conditions, choices, default=DEFAULT_CHANNEL_GROUPS[-1]).astype(object)
