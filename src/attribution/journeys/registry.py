"""Where event logs of other engines are built: a registry the engines add themselves to.

``journeys/`` never imports an engine. Each engine declares, in ``attribution.engines``,
which inputs it handles (a cheap predicate on the input's type, evaluated without
importing the engine) and where its builder lives, as ``"module:function"`` — the way
formulaic's materializers declare what they handle. :meth:`Journeys.from_events` asks the
registry for the engine of its input and imports the builder only then. Adding an engine
touches only ``engines/``.

A builder takes ``(events, spec)`` — the input and an :class:`~attribution.journeys.spec.EventSpec`
— and returns the very :class:`~attribution.Journeys` the pandas builder returns.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from attribution.errors import AttributionError

if TYPE_CHECKING:
    from attribution.journeys._core import Journeys
    from attribution.journeys.spec import EventSpec

__all__ = ["Engine", "engine_for", "engines", "register_engine"]

Builder = Callable[[Any, "EventSpec"], "Journeys"]


@dataclass(frozen=True)
class Engine:
    """An engine that builds journeys where the events are.

    Attributes
    ----------
    name
        Short name, e.g. ``"duckdb"``.
    handles
        Whether an input belongs to this engine; must not import the engine.
    builder
        ``"module:function"`` of the builder, imported on first use.
    requires
        The modules the builder needs, checked before importing it.
    install
        What to tell a user who lacks them.
    """

    name: str
    handles: Callable[[Any], bool]
    builder: str
    requires: tuple[str, ...] = ()
    install: str = ""

    def load(self, events: Any) -> Builder:
        """The builder function, importing the engine now; a clear error if its extra is missing."""
        for module in self.requires:
            try:
                importlib.import_module(module)
            except ImportError:
                raise AttributionError(
                    f"building journeys from a {type(events).__name__} runs inside {self.name}, which needs "
                    f"{module} (not installed). Fix: {self.install or f'pip install {module}'}, or pass a pandas "
                    "DataFrame."
                ) from None
        module_name, _, function = self.builder.partition(":")
        builder: Builder = getattr(importlib.import_module(module_name), function)
        return builder


_ENGINES: dict[str, Engine] = {}


def register_engine(
    name: str, *, handles: Callable[[Any], bool], builder: str, requires: tuple[str, ...] = (), install: str = ""
) -> Engine:
    """Add (or replace) the engine ``name``; later registrations are asked first."""
    engine = Engine(name, handles, builder, requires, install)
    _ENGINES.pop(name, None)
    _ENGINES[name] = engine
    return engine


def engines() -> list[Engine]:
    """The registered engines, in the order they are asked (most recent first)."""
    return list(reversed(_ENGINES.values()))


def engine_for(events: Any) -> Engine | None:
    """The engine that handles ``events``, or ``None`` for the pandas builder."""
    for engine in engines():
        if engine.handles(events):
            return engine
    return None
