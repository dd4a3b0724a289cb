"""Bars in eighths of a cell, so that outcomes of 0.07 % and 0.68 % do not draw alike."""

from __future__ import annotations

EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(fraction: float, width: int) -> str:
    """`fraction` (0..1) of `width` cells; anything above zero shows at least an eighth."""
    steps = round(max(0.0, min(1.0, fraction)) * width * 8)
    if fraction > 0:
        steps = max(1, steps)
    full, rest = divmod(steps, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")
