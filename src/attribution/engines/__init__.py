"""Journey builders that run inside other engines (optional extras, imported lazily).

Each returns exactly the :class:`~attribution.Journeys` that the pandas builder
:meth:`Journeys.from_events` returns on the same events; the models then run on it.
"""

from __future__ import annotations

__all__: list[str] = []
