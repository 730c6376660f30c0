"""Spreadsheet safety shared by every download and import: a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by Excel and LibreOffice,
so downloads give it a leading apostrophe and imports take that apostrophe off again."""
from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe; other
    values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """Undo :func:`neutralise` on import, so export → import loses nothing."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" \
            and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value
