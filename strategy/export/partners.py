"""Partners named in proposals, merged across spellings.

A proposal's «Партнёры» is free text («Районный дом культуры, школы; ЦБС»). It is split into
names, and names that differ only in case, ё/е, quotes, dots, dashes or spacing are one
partner, shown in its most frequent spelling. ``merge_partner_names`` is the one entry point,
so a better matcher (the analysis package is getting one) can replace it in one place."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Iterable

_SEPARATORS = re.compile(r"[;\n]+|,(?![^()]*\))")
_QUOTES = re.compile(r"[«»„“”\"'`]")
_PUNCT = re.compile(r"[.\-–—_/\\()]+")
_SPACES = re.compile(r"\s+")
#: Leading words that say nothing about who the partner is.
_FILLER = re.compile(r"^(?:и|а также|с|со)\s+", re.IGNORECASE)
#: Partners names shorter than this are fragments of a split, not names.
MIN_NAME = 3


def split_partners(text: str) -> list[str]:
    """The names in a proposal's partners field (split on ; , and new lines, but not on a
    comma inside brackets)."""
    names = []
    for part in _SEPARATORS.split(text or ""):
        name = _FILLER.sub("", part.strip(" \t.;:"))
        if len(name) >= MIN_NAME:
            names.append(_SPACES.sub(" ", name))
    return names


def partner_key(name: str) -> str:
    """What two spellings of one partner share."""
    text = _QUOTES.sub("", name.casefold().replace("ё", "е"))
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def merge_partner_names(names: Iterable[str]) -> dict[str, str]:
    """Each spelling → the name shown for its partner (the most frequent spelling, the first
    seen on a tie)."""
    spellings: dict[str, Counter] = defaultdict(Counter)
    order: dict[str, list[str]] = defaultdict(list)
    for name in names:
        key = partner_key(name)
        if not key:
            continue
        if name not in spellings[key]:
            order[key].append(name)
        spellings[key][name] += 1
    shown = {}
    for key, counts in spellings.items():
        best = max(order[key], key=lambda n: (counts[n], -order[key].index(n)))
        shown.update({name: best for name in counts})
    return shown
