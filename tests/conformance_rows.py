"""Rows of the conversion fixture used across tests."""

from __future__ import annotations

from typing import Any


def conversions(*pairs: tuple[int, int], revenue: float = 1.0) -> list[dict[str, Any]]:
    """Rows with ``conversion_id`` and ``event_ts`` given, a fixed revenue."""
    return [{"conversion_id": c, "event_ts": t, "revenue": revenue} for c, t in pairs]
