"""Partners named in proposals, merged across spellings.

A proposal's «Партнёры» is free text («Районный дом культуры, школы; ЦБС»). It is split into
names, and names that differ in case, ё/е, quotes, punctuation, inflection or a typo, and an
abbreviation and the name it abbreviates, are one partner (:mod:`analysis.partners` decides;
``merge_partner_names`` is the one entry point here)."""
from __future__ import annotations

import re
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
    """Each spelling → the name shown for its partner: the analysis' matcher, which also
    merges inflected forms and abbreviations («ФПГ» with «Фонд президентских грантов», shown
    as «Фонд президентских грантов (ФПГ)»)."""
    # analysis/ is imported on first use: loading it costs seconds of the app's start-up
    from analysis.partners import merge_partner_names as merge

    return merge(list(names))
