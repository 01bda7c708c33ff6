"""The state space of a Markov chain: windows of channels and their one integer encoding.

A journey's walk is its path (consecutive repeats of a channel merged when
``collapse_repeats``); its states are the windows of ``order`` consecutive channels sliding
by one touch, and a walk shorter than ``order`` is one state of its own length. A window
is stored as one int64 key, a base-(channels + 1) number with one digit per channel,
oldest first, digit = channel code + 1: digit 0 is unused, so windows of different
lengths never collide. The sorted keys of the windows that occur are the states, and a
state's id is its rank among them.

Keys are int64, so a window of w channels needs (channels + 1)^w − 1 ≤ 2^63 − 1.
:meth:`StateSpace.from_journeys` refuses wider windows (:class:`KeySpaceError`) before
anything is encoded: keys that wrapped around would merge states, and decoding a
negative key would never end. Windows are at most ``order`` channels and at most the
longest walk, so a high order over short paths is fine.

Everything that turns paths into states lives here, once: the keys of every step of
every walk (counted by :func:`attribution.models._walks.count_walks`), the last state of
each row (:meth:`~attribution.models.markov.FittedMarkovChain.predict_proba`), the states
that contain some channels or a sequence of channels (removal effects), and the states'
windows and labels. Encoding runs over chunks of about ``CHUNK_TOUCHES`` touches, so
per-touch temporaries exist for one chunk at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from attribution.journeys import Journeys, ragged

__all__ = ["KeySpaceError", "StateSpace", "widest_window"]

IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.int32]

CHUNK_TOUCHES = 1 << 21  # ~2M touches per chunk: a few tens of MB of temporaries
DENSE_KEYS_MAX = 1 << 22  # window keys below this index a dense lookup table
KEY_MAX = np.iinfo(np.int64).max  # window keys are int64
LABEL_SEPARATOR = " > "


class KeySpaceError(Exception):
    """Windows of ``width`` channels would need keys beyond int64; at most ``widest`` fit."""

    def __init__(self, width: int, widest: int) -> None:
        super().__init__(width, widest)
        self.width = width
        self.widest = widest


def widest_window(n_channels: int) -> int:
    """The most channels per window whose keys fit int64: the largest w with (n + 1)^w − 1 ≤ 2^63 − 1.

    Examples
    --------
    >>> widest_window(10), widest_window(138), widest_window(2**31)
    (18, 8, 2)
    """
    base = n_channels + 1
    if base < 2:
        return int(KEY_MAX)  # no channel: no touch, no key
    width = 0
    while base ** (width + 1) - 1 <= KEY_MAX:  # Python integers: exact, at most 63 steps
        width += 1
    return width


class StateSpace:
    """The states of a Markov chain over some channels: windows of up to ``order`` channels.

    Built from journeys by :meth:`from_journeys` (the windows that occur); immutable. It
    encodes walks to state keys (:meth:`walk_keys`), finds each row's last state
    (:meth:`last_states`) and the states that contain channels (:meth:`members`) or a
    sequence of channels (:meth:`containing`), and names them (:attr:`labels`).

    Parameters
    ----------
    channels
        Channel labels; a window holds their codes (positions in this tuple).
    order
        Channels per window.
    collapse_repeats
        Whether walks merge consecutive touches of one channel first.
    keys
        Sorted, distinct int64 keys of the states.
    width
        Digits per key: the widest window encoded (at most ``order``); keys of windows
        this wide must fit int64.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B", "C"], ["A", "C"], ["B", "B"]], conversions=[1, 0, 1], nulls=[0, 1, 0])
    >>> space = StateSpace.from_journeys(j, order=2, collapse_repeats=True)
    >>> space.labels
    ['B', 'A > B', 'A > C', 'B > C']
    >>> space.members([0]).tolist(), space.containing([1, 2]).tolist()
    ([1, 2], [3])
    >>> space.last_states(j).tolist()
    [3, 2, 0]
    """

    __slots__ = ("_channels", "_collapse_repeats", "_keys", "_labels", "_order", "_table", "_width")

    def __init__(
        self, channels: Sequence[str], order: int, collapse_repeats: bool, keys: npt.ArrayLike, width: int
    ) -> None:
        self._channels = tuple(channels)
        self._order = int(order)
        self._collapse_repeats = bool(collapse_repeats)
        self._width = int(width)
        keys = np.array(keys, dtype=np.int64)
        keys.setflags(write=False)
        self._keys: IntArray = keys
        self._table: IntArray | None = None
        self._labels: list[str] | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_journeys(
        cls, journeys: Journeys, order: int, collapse_repeats: bool, *, chunk_touches: int | None = None
    ) -> StateSpace:
        """The states of the windows that occur in ``journeys`` (one pass over the touches).

        Raises :class:`KeySpaceError` before encoding anything when the widest window of
        these walks would not fit an int64 key.
        """
        channels = journeys.channels
        width = _checked_width(journeys, order, collapse_repeats)
        if order == 1:  # every touch is a state of its own channel: no window to encode
            present = np.bincount(journeys.codes, minlength=len(channels)) > 0
            return cls(channels, 1, collapse_repeats, np.flatnonzero(present) + 1, width)
        empty = cls(channels, order, collapse_repeats, np.zeros(0, dtype=np.int64), width)
        space = (len(channels) + 1) ** order
        if space <= DENSE_KEYS_MAX:
            seen = np.zeros(space, dtype=bool)
            for _, step_keys, _ in empty.walks(journeys, chunk_touches):
                seen[step_keys] = True
            keys = np.flatnonzero(seen)
        else:
            found = [np.unique(step_keys) for _, step_keys, _ in empty.walks(journeys, chunk_touches)]
            keys = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        return cls(channels, order, collapse_repeats, keys, width)

    # ------------------------------------------------------------------ what it is
    @property
    def channels(self) -> tuple[str, ...]:
        """Channel labels, indexed by the codes in the windows."""
        return self._channels

    @property
    def order(self) -> int:
        """Channels per window (shorter walks are one shorter window)."""
        return self._order

    @property
    def collapse_repeats(self) -> bool:
        """Whether consecutive touches of one channel are merged before windowing."""
        return self._collapse_repeats

    @property
    def width(self) -> int:
        """Digits per key: the widest window this space encodes (its keys fit int64)."""
        return self._width

    @property
    def keys(self) -> IntArray:
        """The states' keys, sorted (read-only); a state's id is its position here."""
        return self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return (
            f"StateSpace({len(self):,} states of order {self._order} over {len(self._channels):,} channels, "
            f"collapse_repeats={self._collapse_repeats})"
        )

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ("_channels", "_order", "_collapse_repeats", "_keys", "_width")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        keys = np.array(state["_keys"], dtype=np.int64)  # unpickled arrays come back writeable
        keys.setflags(write=False)
        for name, item in {**state, "_keys": keys, "_table": None, "_labels": None}.items():
            object.__setattr__(self, name, item)

    @property
    def table(self) -> IntArray:
        """States × ``width`` channel codes, oldest first and right-aligned; -1 pads shorter windows (read-only)."""
        if self._table is None:
            base = len(self._channels) + 1
            digits = np.zeros((len(self._keys), self._width), dtype=np.int64)
            rest = self._keys.copy()
            for column in range(self._width - 1, -1, -1):  # a fixed number of digits: no loop can run away
                digits[:, column] = rest % base
                rest //= base
            digits -= 1
            digits.setflags(write=False)
            self._table = digits
        return self._table

    @property
    def windows(self) -> list[tuple[int, ...]]:
        """Each state's window of channel codes, oldest first."""
        return [tuple(c for c in row if c >= 0) for row in self.table.tolist()]

    @property
    def lengths(self) -> IntArray:
        """Channels in each state's window."""
        counts: IntArray = (self.table >= 0).sum(axis=1)
        return counts

    @property
    def labels(self) -> list[str]:
        """Each state's channels joined by ``" > "``."""
        if self._labels is None:
            names = self._channels
            self._labels = [LABEL_SEPARATOR.join(names[c] for c in window) for window in self.windows]
        return list(self._labels)

    # ------------------------------------------------------------------ encoding
    def walks(self, journeys: Journeys, chunk_touches: int | None = None) -> Iterator[tuple[slice, IntArray, IntArray]]:
        """Per chunk of whole rows: the rows, every step's window key, and the steps' row offsets.

        ``journeys`` must use this space's channel codes (the journeys it was built from).
        """
        offsets = journeys.offsets
        for lo, hi in ragged.row_chunks(offsets, CHUNK_TOUCHES if chunk_touches is None else chunk_touches):
            codes = journeys.codes[offsets[lo] : offsets[hi]]
            step_keys, step_offsets = self.walk_keys(codes, offsets[lo : hi + 1] - offsets[lo])
            yield slice(lo, hi), step_keys, step_offsets

    def walk_keys(self, codes: CodeArray, offsets: IntArray) -> tuple[IntArray, IntArray]:
        """The keys of every row's walk, one per step, and the steps' row offsets.

        Examples
        --------
        >>> space = StateSpace(("A", "B"), order=2, collapse_repeats=True, keys=[], width=2)
        >>> keys, steps = space.walk_keys(np.array([0, 0, 1, 1], dtype=np.int32), np.array([0, 3, 4]))
        >>> keys.tolist(), steps.tolist()  # A > B (1 * 3 + 2), then B alone
        ([5, 2], [0, 1, 2])
        """
        if self._collapse_repeats and len(codes) > 1:
            codes, offsets = _collapse(codes, offsets)
        return _window_keys(codes, offsets, self._order, len(self._channels) + 1)

    def locator(self) -> Callable[[IntArray], IntArray]:
        """A function from keys, every one of which is a state's, to state ids (a dense table for small keys)."""
        keys = self._keys
        if len(keys) and int(keys[-1]) < DENSE_KEYS_MAX:
            lookup = np.zeros(int(keys[-1]) + 1, dtype=np.int64)
            lookup[keys] = np.arange(len(keys))
            return lambda k: lookup[k]
        return lambda k: np.searchsorted(keys, k).astype(np.int64)

    def find(self, keys: IntArray) -> IntArray:
        """State ids of ``keys``; -1 for a key that is no state."""
        if not len(self._keys):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        found: IntArray = np.where(self._keys[at] == keys, at, -1).astype(np.int64)
        return found

    def last_states(self, journeys: Journeys) -> IntArray:
        """Each row's last state (its walk's last window); -1 for an empty row or a window that is no state.

        ``journeys`` may have other channels than this space: a window with a channel the
        space does not know is no state.
        """
        offsets, codes = journeys.offsets, journeys.codes
        if self._collapse_repeats and self._order > 1 and len(codes) > 1:  # a last touch is its run's last
            codes, offsets = _collapse(codes, offsets)
        lengths = np.diff(offsets)
        width = np.minimum(lengths, self._order)
        out = np.full(journeys.n_rows, -1, dtype=np.int64)
        # a window wider than the widest encoded is no state; only windows that fit get keys,
        # so no key can wrap around and collide
        usable = (width > 0) & (width <= self._width)
        if not usable.any() or not len(self._keys):
            return out
        if journeys.channels != self._channels:  # express the rows in this space's channel codes
            position = {c: i for i, c in enumerate(self._channels)}
            remap = np.array([position.get(c, -1) for c in journeys.channels], dtype=np.int64)
        else:
            remap = None
        base = len(self._channels) + 1
        rows = np.flatnonzero(usable)
        row_width, row_end = width[rows], offsets[1:][rows]
        key = np.zeros(len(rows), dtype=np.int64)
        known = np.ones(len(rows), dtype=bool)
        for back in range(int(row_width.max())):  # a loop over window positions, not rows
            take = row_width > back
            digit = codes[row_end[take] - row_width[take] + back].astype(np.int64)
            if remap is not None:
                digit = remap[digit]
                known[np.flatnonzero(take)[digit < 0]] = False
            key[take] = key[take] * base + digit + 1
        out[rows[known]] = self.find(key[known])
        return out

    # ------------------------------------------------------------------ membership
    def members(self, codes: Iterable[int]) -> IntArray:
        """Ids of the states whose window contains any of the channel ``codes`` (sorted)."""
        wanted = np.fromiter(codes, dtype=np.int64)
        if not wanted.size or not len(self._keys):
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.isin(self.table, wanted).any(axis=1)).astype(np.int64)

    def members_by_channel(self) -> list[IntArray]:
        """For every channel code, the ids of the states that contain it (sorted)."""
        n_channels, n_states = len(self._channels), len(self._keys)
        table = self.table
        state = np.repeat(np.arange(n_states, dtype=np.int64), table.shape[1])
        code = table.ravel()
        present = code >= 0
        pairs = np.unique(code[present] * max(n_states, 1) + state[present])  # by channel, then state
        channel_of = pairs // max(n_states, 1)
        bounds = np.searchsorted(channel_of, np.arange(n_channels + 1))
        states = pairs % max(n_states, 1)
        return [states[bounds[c] : bounds[c + 1]] for c in range(n_channels)]

    def containing(self, sequence: Sequence[int] | IntArray) -> IntArray:
        """Ids of the states whose window contains the channel codes ``sequence`` consecutively (sorted)."""
        wanted = np.asarray(sequence, dtype=np.int64)
        length = len(wanted)
        table = self.table
        if length == 0 or length > table.shape[1] or not len(self._keys):
            return np.zeros(0, dtype=np.int64)
        hit = np.zeros(len(self._keys), dtype=bool)
        for start in range(table.shape[1] - length + 1):  # a loop over window positions, not states
            hit |= (table[:, start : start + length] == wanted).all(axis=1)
        return np.flatnonzero(hit).astype(np.int64)


def _collapse(codes: CodeArray, offsets: IntArray) -> tuple[CodeArray, IntArray]:
    """Merge consecutive touches of one channel within a row (as ``Journeys.collapse_repeats``)."""
    keep = ragged.last_of_runs(codes, offsets)
    return codes[keep], ragged.offsets_after_mask(offsets, keep)


def _longest_walk(journeys: Journeys, collapse_repeats: bool) -> int:
    """The most steps of any row's walk before windowing (its length after collapsing repeats)."""
    if journeys.n_rows == 0:
        return 0
    longest = int(journeys.lengths.max())
    if not collapse_repeats or longest < 2:
        return longest
    offsets, collapsed = journeys.offsets, 0
    for lo, hi in ragged.row_chunks(offsets, CHUNK_TOUCHES):
        codes = journeys.codes[offsets[lo] : offsets[hi]]
        _, local = _collapse(codes, offsets[lo : hi + 1] - offsets[lo])
        collapsed = max(collapsed, int(np.diff(local).max(initial=0)))
    return collapsed


def _checked_width(journeys: Journeys, order: int, collapse_repeats: bool) -> int:
    """The widest window the walks use; :class:`KeySpaceError` if its keys would overflow int64.

    Collapsing repeats is counted only when it matters (a scan of the touches).
    """
    widest = widest_window(len(journeys.channels))
    if order <= widest:
        return order
    width = min(order, int(journeys.lengths.max()) if journeys.n_rows else 0)
    if width > widest:
        width = min(order, _longest_walk(journeys, collapse_repeats))
    if width > widest:
        raise KeySpaceError(width, widest)
    return width


def _window_keys(codes: CodeArray, offsets: IntArray, order: int, base: int) -> tuple[IntArray, IntArray]:
    """Slide a window of ``order`` channels along every row: one key per step, and step offsets."""
    digits = codes.astype(np.int64) + 1
    if order == 1:  # every touch is a step and its channel is its state
        return digits, offsets
    lengths = np.diff(offsets)
    # full windows start at every touch up to the order-th from the end; short paths give one window
    steps_per_row = np.where(lengths >= order, lengths - order + 1, np.minimum(lengths, 1))
    step_offsets = ragged.offsets_from_lengths(steps_per_row)
    n_steps = int(step_offsets[-1])
    # the first touch of each window: the row's start plus the step's index in the row
    step_begin = np.arange(n_steps) + np.repeat(offsets[:-1] - step_offsets[:-1], steps_per_row)
    m = len(digits)
    key = np.zeros(n_steps, dtype=np.int64)
    if m >= order:  # the key of the window starting at every touch, from contiguous slices
        rolling = digits[: m - order + 1].copy()
        for back in range(1, order):
            rolling *= base
            rolling += digits[back : m - order + 1 + back]
        np.minimum(step_begin, m - order, out=step_begin)  # short rows' steps are recomputed below
        key = rolling[step_begin]
    short = np.flatnonzero((lengths > 0) & (lengths < order))
    if short.size:  # a short row's one window stops at its last touch
        first = offsets[short]
        short_key = digits[first]
        for back in range(1, order):
            more = lengths[short] > back
            short_key = np.where(more, short_key * base + digits[np.minimum(first + back, m - 1)], short_key)
        key[step_offsets[short]] = short_key
    return key, step_offsets
