"""Partner names merged across spellings, for the DOCX's index of partners.

People write the same organisation in many ways: «ООО "Ромашка"», «Ромашка», «ромашка ооо»,
«ООО «Ромашка»», «МБУК ЦБС г. Черемхово». :func:`partner_key` reduces a spelling to what
identifies the organisation (case, ё, quotes, punctuation and legal forms dropped, words
lemmatised so that «Фонда президентских грантов» is «Фонд президентских грантов»);
:func:`merge_partner_names` groups spellings by that key, joins keys that differ by a typo,
joins an abbreviation to the one multiword name whose initials it spells («ФПГ» — «Фонд
президентских грантов», «ПФКИ» — «Президентский фонд культурных инициатив»), and names each
group once: its most frequent full form, with the abbreviation in brackets.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from .text import lemmatize_ru

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
#: Words an abbreviation skips: «Министерство культуры и архивов» is «МКА», «Центр по работе
#: с молодёжью» is «ЦРМ».
FUNCTION_WORDS = frozenset("и в во на по для с со о об от к при из за под над им имени г".split())
#: Lemmas of the words that end a name with its region («… Иркутской области»).
REGION_WORDS = frozenset({"область", "край", "регион"})
#: An abbreviation is one word of this many letters, written in capitals somewhere.
ABBREVIATION_CHARS = (2, 8)
_QUOTES_RE = re.compile(r"[\"'«»„“”‘’`]")
_WORD_RE = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*")
_CYRILLIC_RE = re.compile(r"[а-я]")


def partner_key(name: object) -> str:
    """What identifies a partner in ``name``: its words without case, quotes or legal forms.

    >>> partner_key('ООО "Ромашка"') == partner_key("ромашка ооо") == "ромашка"
    True
    """
    if name is None or (isinstance(name, float) and name != name):
        return ""
    return " ".join(_key_words(name))


def _key_words(name: object, expand: dict | None = None) -> list[str]:
    """Lemmas of a name without legal forms; an abbreviation stays as written (lower case),
    or becomes the key of the name it stands for when ``expand`` (letters → key) has it."""
    if name is None or (isinstance(name, float) and name != name):
        return []
    words = []
    for word in _WORD_RE.findall(_QUOTES_RE.sub(" ", str(name))):
        letters = _abbreviation(word)
        low = word.casefold().replace("ё", "е")
        if letters:
            words.append((expand or {}).get(letters, letters))
        else:
            words.append(_lemma(low))
    # a name that is only a form («НКО», «Фонд») is still a name: then the form is the key
    return [w for w in words if w not in LEGAL_FORMS] or words


def _words(name: object) -> list[str]:
    """Lower-case words of a name (ё as е, quotes dropped)."""
    if name is None or (isinstance(name, float) and name != name):
        return []
    text = _QUOTES_RE.sub(" ", str(name)).casefold().replace("ё", "е")
    return _WORD_RE.findall(text)


def _lemma(word: str) -> str:
    """The word's lemma when it is Russian (inflected names are one partner), else as is.
    Abbreviations stay: pymorphy reads «ЦБС» or «ОГУНБ» as anything."""
    if not _CYRILLIC_RE.search(word) or len(word) <= ABBREVIATION_CHARS[1] and \
            not re.search(r"[аеиоуыэюя]", word):
        return word
    return lemmatize_ru(word)


def initials(name: object) -> str:
    """The abbreviation a multiword name makes: first letters of its words, function words
    skipped (``""`` for a name of fewer than two such words).

    >>> initials("Фонд президентских грантов"), initials("Министерство культуры и архивов")
    ('фпг', 'мка')
    """
    words = [w for w in _words(name) if w not in FUNCTION_WORDS]
    return "".join(w[0] for w in words) if len(words) >= 2 else ""


def _abbreviation(spelling: str) -> str:
    """The abbreviation ``spelling`` is written as («ФПГ» → 'фпг'), or ``""``."""
    words = _WORD_RE.findall(_QUOTES_RE.sub(" ", spelling))
    if len(words) != 1 or not words[0].isalpha():
        return ""
    word = words[0]
    low, high = ABBREVIATION_CHARS
    if not (low <= len(word) <= high and word.isupper()):
        return ""
    return word.casefold().replace("ё", "е")


def _display_name(spellings: Counter) -> str:
    """The group's name as people should read it: the most frequent spelling that keeps its
    legal form and quotes if any spelling has them, written with «ёлочки»."""
    def quality(item):
        spelling, count = item
        words = _WORD_RE.findall(spelling)
        has_form = any(w.casefold() in LEGAL_FORMS for w in words)
        # written in full: no abbreviation other than a legal form («Эксперты ПФКИ» is not)
        full = not any(_abbreviation(w) and w.casefold() not in LEGAL_FORMS for w in words) \
            or len(words) == 1
        capitalised = spelling[:1].isupper() or bool(_QUOTES_RE.search(spelling))
        # «… Иркутской области» says which body the short spelling meant
        with_region = bool(_regional_stem(partner_key(spelling)))
        return (full, with_region, has_form, capitalised, count, -len(spelling))

    best = max(spellings.items(), key=quality)[0]
    return _normalised_quotes(best)


def _normalised_quotes(spelling: str) -> str:
    """'ООО "Ромашка"' → 'ООО «Ромашка»'; a legal form written last in lower case moves to
    the front («ромашка ооо» → «ООО «Ромашка»»). One written in capitals stays where it is:
    «Местные НКО», «Ресурсный центр НКО» are kinds of bodies, not a body named «Местные»."""
    text = " ".join(spelling.split())
    text = re.sub(r"[\"“”„]([^\"“”„]+)[\"“”„]", r"«\1»", text)
    words = text.split(" ")
    if len(words) > 1 and words[-1].casefold() in LEGAL_FORMS and words[-1].islower() and \
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
            # a typo changes letters, not words: «Эксперты фонда …» is not «Фонд …»
            if root[other] == other and len(other) >= MIN_KEY_CHARS_FOR_TYPOS and \
                    key.count(" ") == other.count(" ") and \
                    SequenceMatcher(None, key, other).ratio() >= TYPO_SIMILARITY:
                root[key] = other
                break
    _join_regional_qualifiers(root)
    groups: dict[str, Counter] = {}
    for key, spellings in spellings_by_key.items():
        groups.setdefault(root[key], Counter()).update(spellings)
    groups = _join_abbreviations(groups)
    canonical = {}
    for group, spellings in groups.items():
        for key in spellings_by_key:
            if root[key] == group or root[key] in spellings.absorbed:
                canonical[key] = spellings.name
    result = {}
    for name in names:
        key = partner_key(name)
        if key:
            result[name] = canonical[key]
    return result


def _regional_stem(key: str) -> str:
    """The key without a trailing region («… Иркутской области», «… области», «… края»),
    or ``""`` when it has none."""
    words = key.split(" ")
    if len(words) < 2 or words[-1] not in REGION_WORDS:
        return ""
    words = words[:-1]
    if len(words) >= 2 and words[-1].endswith(("ский", "цкий")):
        words = words[:-1]
    return " ".join(words)


def _join_regional_qualifiers(root: dict[str, str]) -> None:
    """A name without the region joins the one name that is the same with the region: in a
    region's strategy «Ресурсный центр НКО» is «Ресурсный центр НКО Иркутской области».
    Where two names add different regions, the short one stays on its own."""
    qualified: dict[str, set] = {}
    for key in root:
        stem = _regional_stem(key)
        if stem:
            qualified.setdefault(stem, set()).add(root[key])
    for key in sorted(root):
        targets = qualified.get(key, set())
        if root[key] == key and len(targets) == 1:
            (target,) = targets
            for other, its_root in root.items():
                if its_root == key:
                    root[other] = target


class _Group(Counter):
    """Spellings of one partner (a Counter), the groups it absorbed, and its shown name."""

    absorbed: set
    name: str


def _join_abbreviations(groups: dict[str, Counter]) -> dict[str, _Group]:
    """Groups with their abbreviations joined: a group written only as an abbreviation joins
    the one multiword group whose initials it spells (none, or two such groups: it stays on
    its own, since a guess would send people to the wrong organisation)."""
    by_initials: dict[str, list[str]] = {}
    for key, spellings in groups.items():
        for spelling in {initials(s) for s in spellings if not _abbreviation(s)} - {""}:
            by_initials.setdefault(spelling, []).append(key)
    joined: dict[str, _Group] = {}
    abbreviation_of: dict[str, str] = {}
    for key, spellings in groups.items():
        group = _Group(spellings)
        group.absorbed = set()
        joined[key] = group
    for key in sorted(groups):
        short = {_abbreviation(s) for s in groups[key]}
        if len(short) != 1 or "" in short:
            continue
        (letters,) = short
        targets = [t for t in by_initials.get(letters, []) if t != key]
        if len(targets) == 1 and targets[0] in joined and key in joined:
            target = joined[targets[0]]
            target.update(groups[key])
            target.absorbed.add(key)
            abbreviation_of[targets[0]] = max(groups[key].items(),
                                              key=lambda item: (item[1], item[0]))[0]
            del joined[key]
    _expand_inner_abbreviations(joined, by_initials)
    for key, group in joined.items():
        if key in abbreviation_of:
            full = Counter({s: n for s, n in group.items() if not _abbreviation(s)})
            group.name = f"{_display_name(full)} ({_normalised_quotes(abbreviation_of[key])})"
        else:
            group.name = _display_name(group)
    return joined


def _tail_initials(joined: dict[str, _Group]) -> dict[str, set]:
    """Initials of the last words of long names → the keys of those words: «Эксперты
    Президентского фонда культурных инициатив» ends in «ПФКИ», which «Эксперты ПФКИ» spells
    where no name is the fund alone. Three letters at least: two are too easy to meet."""
    tails: dict[str, set] = {}
    for group in joined.values():
        for spelling in group:
            words = _WORD_RE.findall(_QUOTES_RE.sub(" ", spelling))
            starts = [i for i, w in enumerate(words) if w.casefold() not in FUNCTION_WORDS]
            for start in starts[1:-1]:
                tail = " ".join(words[start:])
                letters = initials(tail)
                if len(letters) >= 3 and not any(_abbreviation(w) for w in words[start:]):
                    tails.setdefault(letters, set()).add(partner_key(tail))
    return tails


def _expand_inner_abbreviations(joined: dict[str, _Group], by_initials: dict) -> None:
    """Join a name with an abbreviation inside («Эксперты ПФКИ») to the same name written in
    full («Эксперты Президентского фонда культурных инициатив»), in place: the abbreviation
    is read as the one multiword name whose initials it spells."""
    expand = {letters: keys[0] for letters, keys in by_initials.items() if len(keys) == 1}
    for letters, keys in _tail_initials(joined).items():
        if letters not in by_initials and len(keys) == 1:
            expand[letters] = next(iter(keys))
    for key in sorted(joined):
        if key not in joined:
            continue
        group = joined[key]
        for spelling in group:
            if len(_WORD_RE.findall(spelling)) < 2:
                continue
            other = " ".join(_key_words(spelling, expand))
            if other != key and other in joined:
                joined[other].update(group)
                joined[other].absorbed |= {key} | group.absorbed
                del joined[key]
                break
