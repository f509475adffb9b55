"""A label's tone (error, hint, ok): its colour comes from ``resources/style.qss``.

Widgets never write colours of their own; they set the ``tone`` property,
which the style sheet colours, so the error colour lives in one place.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtWidgets import QWidget

Tone = Literal["error", "hint", "ok", ""]


def set_tone(widget: QWidget, tone: Tone) -> None:
    """Colour ``widget`` by ``tone`` (re-polished, so the change shows at once)."""
    if widget.property("tone") == tone:
        return
    widget.setProperty("tone", tone)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
