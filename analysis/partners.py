"""Partner names merged across spellings, for the DOCX's index of partners.

People write the same organisation in many ways: «ООО "Ромашка"», «Ромашка», «ромашка ооо»,
«ООО «Ромашка»», «МБУК ЦБС г. Черемхово». :func:`partner_key` reduces a spelling to what
identifies the organisation (case, ё, quotes, punctuation and legal forms dropped);
:func:`merge_partner_names` groups spellings by that key, joins keys that differ by a typo,
and names each group once.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

#: Legal and institutional forms that say what kind of body it is, not which one.
LEGAL_FORMS = frozenset(
    """
    ооо оао зао пао ао ип нко ано фгбу фгбоу гбу гбук гау мбу мбук мкук мку мау муп гуп
    мбоу мкоу маоу мбдоу мадоу мбудо чу нп фонд ltd llc inc gmbh ag ev e.v
    """.split()
)
#: Keys at least this similar (difflib ratio) are one partner written with a typo
#: («Ромашка» / «Ромашко»); short keys must match exactly, too little to tell a typo from
#: another name.
TYPO_SIMILARITY = 0.88
MIN_KEY_CHARS_FOR_TYPOS = 6
_QUOTES_RE = re.compile(r"[\"'«»„“”‘’`]")
_WORD_RE = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*")


def partner_key(name: object) -> str:
    """What identifies a partner in ``name``: its words without case, quotes or legal forms.

    >>> partner_key('ООО "Ромашка"') == partner_key("ромашка ооо") == "ромашка"
    True
    """
    if name is None or (isinstance(name, float) and name != name):
        return ""
    text = _QUOTES_RE.sub(" ", str(name)).casefold().replace("ё", "е")
    words = [w for w in _WORD_RE.findall(text) if w not in LEGAL_FORMS]
    return " ".join(words)


def _display_name(spellings: Counter) -> str:
    """The group's name as people should read it: the most frequent spelling that keeps its
    legal form and quotes if any spelling has them, written with «ёлочки»."""
    def quality(item):
        spelling, count = item
        has_form = any(w.casefold() in LEGAL_FORMS for w in _WORD_RE.findall(spelling))
        capitalised = spelling[:1].isupper() or bool(_QUOTES_RE.search(spelling))
        return (has_form, capitalised, count, -len(spelling))

    best = max(spellings.items(), key=quality)[0]
    return _normalised_quotes(best)


def _normalised_quotes(spelling: str) -> str:
    """'ООО "Ромашка"' → 'ООО «Ромашка»'; a legal form written last moves to the front."""
    text = " ".join(spelling.split())
    text = re.sub(r"[\"“”„]([^\"“”„]+)[\"“”„]", r"«\1»", text)
    words = text.split(" ")
    if len(words) > 1 and words[-1].casefold() in LEGAL_FORMS and \
            words[0].casefold() not in LEGAL_FORMS:
        core = " ".join(words[:-1])
        if not core.startswith("«"):
            core = f"«{core[:1].upper()}{core[1:]}»"
        text = f"{words[-1].upper()} {core}"
    return text


def merge_partner_names(names) -> dict[str, str]:
    """Map every spelling of a partner to one canonical name.

    Parameters
    ----------
    names : iterable of str
        Partner names as written (repeats count: the most frequent spelling wins).

    Returns
    -------
    dict
        ``{spelling: canonical name}`` for every non-empty spelling given; spellings of the
        same partner (same :func:`partner_key`, or keys that differ by a typo) share one
        canonical name. Deterministic: the result does not depend on the input order.

    Examples
    --------
    >>> merged = merge_partner_names(['ООО "Ромашка"', "Ромашка", "ромашка ооо"])
    >>> sorted(set(merged.values()))
    ['ООО «Ромашка»']
    """
    spellings_by_key: dict[str, Counter] = {}
    for name in names:
        key = partner_key(name)
        if key:
            spellings_by_key.setdefault(key, Counter())[" ".join(str(name).split())] += 1
    # join keys that differ by a typo, the more frequent key absorbing the rarer one
    order = sorted(spellings_by_key, key=lambda k: (-sum(spellings_by_key[k].values()), k))
    root: dict[str, str] = {}
    for key in order:
        root[key] = key
        if len(key) < MIN_KEY_CHARS_FOR_TYPOS:
            continue
        for other in order:
            if other == key:
                break
            if root[other] == other and len(other) >= MIN_KEY_CHARS_FOR_TYPOS and \
                    SequenceMatcher(None, key, other).ratio() >= TYPO_SIMILARITY:
                root[key] = other
                break
    groups: dict[str, Counter] = {}
    for key, spellings in spellings_by_key.items():
        groups.setdefault(root[key], Counter()).update(spellings)
    canonical = {group: _display_name(spellings) for group, spellings in groups.items()}
    result = {}
    for name in names:
        key = partner_key(name)
        if key:
            result[name] = canonical[root[key]]
    return result
