"""A progress line on stderr for work longer than about two seconds (off when stderr is not a terminal).

The command says what it is doing ("reading events.csv", "attributing: Markov (3/12)");
a background thread draws that line only once the work has run for ``DELAY`` seconds,
so quick runs print nothing, and erases it when the work is done. Nothing is drawn when
stderr is not a terminal (piped, redirected, a CI log) or with ``--quiet``.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

__all__ = ["DELAY", "Progress"]

DELAY = 2.0  # seconds of work before anything is drawn
_FRAMES = "|/-\\"


class Progress:
    """Context manager: ``with Progress(enabled) as progress: progress.step("reading")``.

    Examples
    --------
    >>> with Progress(enabled=False) as progress:
    ...     progress.step("reading events")
    >>> progress.line(0)
    'reading events |'
    """

    def __init__(self, enabled: bool, stream: TextIO | None = None, delay: float = DELAY) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._delay = delay
        self._message = ""
        self._started = time.monotonic()
        self._drawn = 0  # characters of the line on screen, to erase it
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_terminal(cls, quiet: bool) -> Progress:
        """Drawn on stderr if it is a terminal and not ``quiet``."""
        is_terminal = bool(getattr(sys.stderr, "isatty", lambda: False)())
        return cls(enabled=is_terminal and not quiet)

    def step(self, message: str) -> None:
        """What the command is doing now."""
        with self._lock:
            self._message = message

    def line(self, frame: int) -> str:
        """The text drawn at animation ``frame``."""
        with self._lock:
            return f"{self._message} {_FRAMES[frame % len(_FRAMES)]}"

    def __enter__(self) -> Progress:
        if self._enabled:
            self._thread = threading.Thread(target=self._draw, name="attribution-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._erase()

    def _draw(self) -> None:
        if self._stop.wait(max(0.0, self._delay - (time.monotonic() - self._started))):
            return
        frame = 0
        while not self._stop.is_set():
            text = self.line(frame)
            with self._lock:
                self._stream.write("\r" + text + " " * max(0, self._drawn - len(text)))
                self._stream.flush()
                self._drawn = len(text)
            frame += 1
            self._stop.wait(0.125)

    def _erase(self) -> None:
        with self._lock:
            if self._drawn:
                self._stream.write("\r" + " " * self._drawn + "\r")
                self._stream.flush()
                self._drawn = 0
