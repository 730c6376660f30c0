"""Noun phrases of raw texts, for titles, key terms and summaries.

:func:`text_terms` reads one raw text and returns its content lemmas (what a title must share
with a text to describe it) and its candidate phrases, each a :class:`Phrase` in the form
people read:

* Russian: nouns and noun phrases found in the text (adjective + noun, noun + genitive, and
  their three-word forms), put in the nominative with pymorphy3 («в детской библиотеке» →
  «детская библиотека»). A word that can be a noun is read as a noun before a verb («сёл» →
  «село», not «сесть»); abbreviations keep their capitals (ЦОД, НЭБ, ЛитРес). No verbs, no
  bare adjectives.
* English and German: single words and pairs of adjacent content words, matched by their
  Snowball stems but shown as the most frequent surface form (never a stem such as «Hous»);
  German single words must be nouns (written with a capital inside a sentence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .text import (_CLAUSE_BREAK_RE, _URL_RE, detect_language, morph_parses, stem,
                   stop_words)

#: Nouns too generic to name a section on their own.
GENERIC_NOUNS = frozenset(
    "вопрос проблема ситуация случай время день год раз человек житель работа сторона "
    "место помощь просьба решение ответ обращение информация сделать часть вид тема номер "
    "thing way people time issue idea problem".split()
)
#: Words that say what any proposal is made of, not what a section is about: the form's own
#: fields («Описание проекта», «Участники проекта», «Ожидаемый результат»), places in general
#: («Область», «Район»), events and materials in general («Мероприятия», «Материалы»), and
#: the workshop's obvious context («Библиотека»). A title made only of these is no title
#: (:func:`is_generic`); with a word that tells («Модельная библиотека») it is one.
GENERIC_TITLE_WORDS = GENERIC_NOUNS | frozenset(
    "область район город регион территория муниципалитет округ поселение населённый "
    "населенный проект участник описание название цель задача результат итог ожидать "
    "ожидаемый идея предложение мероприятие материал контакт контактный вход формат "
    "направление деятельность возможность условие пример вариант способ уровень система "
    "мера организация учреждение сотрудник специалист площадка библиотека библиотечный "
    "книга неделя месяц жизнь новый хороший большой разный весь каждый другой местный "
    "project participant description result goal event area region".split()
)
#: The same for German and English texts, whose keys are Snowball stems («Maßnahmen» →
#: «massnahm»): written as words, kept as their stems. Without them a German section was
#: titled «Maßnahmen» (measures), which says nothing a proposal is not.
LATIN_GENERIC_WORDS = {
    "de": "Maßnahme Maßnahmen Projekt Projekte Idee Ideen Vorschlag Vorschläge Thema Themen "
          "Bereich Bereiche Möglichkeit Möglichkeiten Beispiel Problem Probleme Frage Fragen "
          "Mensch Menschen Jahr Jahre Zeit Teil Art Ziel Ziele Ergebnis Sache Punkt Fall "
          "Seite Ding Dinge neu neue neuen gut gute groß große verschiedene alle jede andere",
    "en": "thing things way ways people person time issue issues idea ideas problem problems "
          "project projects participant participants description result results goal goals "
          "event events area areas region measure measures proposal proposals suggestion "
          "suggestions example part kind question questions year years new good big "
          "different every other",
}
GENERIC_TITLE_WORDS = GENERIC_TITLE_WORDS | frozenset(
    stem(word.lower(), language) for language, words in LATIN_GENERIC_WORDS.items()
    for word in words.split())
#: Grammemes of names and places, which make poor title words («Улица Косухина»).
PROPER_GRAMMEMES = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})
MONTHS = frozenset(
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()
)
#: Parts of speech a word is not read as when it can also be a noun («сел» → «село»).
VERB_LIKE = frozenset({"VERB", "INFN", "PRTS", "GRND", "ADVB", "PRED"})
#: ...as long as the noun reading is a real one: pymorphy gives it at least this share of
#: its readings («сел»: «село» 0.19). Below it the noun is a dictionary curiosity that would
#: make titles of verbs («ведут» → «ведута» 0.02, «стали» → «сталь» 0.02).
NOUN_READING_MIN_SCORE = 0.1
#: Shortest content word (letters); abbreviations written in capitals may be shorter.
MIN_WORD_CHARS = 3
#: Endings of English adjectives («affordable», «green» is let through): no bare adjective
#: may be a title or key term, and without a tagger the ending is the best sign.
ENGLISH_ADJECTIVE_ENDINGS = ("able", "ible", "ful", "ous", "ive", "less", "ical", "ish")
_NUMBER_MARK = "#"
_TOKEN_RE = re.compile(r"№|\d+(?:[.,:/-]\d+)*|[^\W\d_]+(?:-[^\W\d_]+)*")
_INNER_CAPITAL_RE = re.compile(r"^\w+[A-ZА-ЯЁ]|^[A-ZА-ЯЁ]{2,}$")
#: An abbreviation with a case ending («БАМа», «ЦОДов», «ФАПах»): its nominative and lemma
#: are the capitals alone.
_INFLECTED_ABBREVIATION_RE = re.compile(
    r"^([А-ЯЁ]{2,})(?:а|я|у|ю|ом|ем|е|ы|и|ов|ев|ам|ям|ами|ями|ах|ях)$")


@dataclass(frozen=True)
class Phrase:
    """A candidate title or key term.

    Attributes
    ----------
    key : tuple of str
        Content lemmas (Russian) or stems (other languages), in phrase order.
    text : str
        The phrase as people read it (nominative; surface form for English/German).
    head : str
        Lemma or stem of the head noun.
    complements : tuple of str
        Lemmas of the nouns that complement the head («ремонт *дорог*»): two phrases with
        the same head and the same complements say the same thing in other words.
    """

    key: tuple
    text: str
    head: str
    complements: tuple = ()


@dataclass
class TextTerms:
    """The content lemmas and candidate phrases of one text.

    ``lowercase``: German stems this text writes in lower case at least once («neu regeln»,
    «neue Wege»): a word written so is no noun, even where the text also capitalises it
    («Abfertigung Neu»); :func:`adjective_stems` weighs them over a track."""

    lemmas: frozenset
    phrases: dict  # key -> Phrase (one display form per key in this text)
    lowercase: frozenset = frozenset()


def is_generic(phrase: Phrase) -> bool:
    """Whether every word of ``phrase`` is a generic one (:data:`GENERIC_TITLE_WORDS`):
    «Область», «Описание проекта», «Участники проекта» are; «Модельная библиотека» is not."""
    return all(lemma in GENERIC_TITLE_WORDS for lemma in phrase.key)


def telling_lemmas(phrase: Phrase) -> tuple:
    """The lemmas of ``phrase`` that say what it is about (all of them if none does): what a
    text must share with a title to be covered by it. «Библиотека» is in nearly every
    proposal of a library workshop, so «Доступная библиотека» covers only the texts about
    access, not every text that mentions a library."""
    telling = tuple(lemma for lemma in phrase.key if lemma not in GENERIC_TITLE_WORDS)
    return telling or phrase.key


def text_terms(text: object, language: str | None = None) -> TextTerms:
    """Content lemmas and candidate phrases of one raw text (see the module docstring)."""
    if text is None or (isinstance(text, float) and text != text):
        return TextTerms(frozenset(), {})
    raw = _URL_RE.sub(" ", str(text))
    language = language or detect_language(raw.lower())
    if language == "ru":
        return _russian_terms(raw)
    return _latin_terms(raw, language)


def raw_clauses(raw: str) -> list[list[str]]:
    """Word tokens of each clause of a raw text, case kept, numbers as ``'#'``."""
    clauses = []
    for part in _CLAUSE_BREAK_RE.split(raw):
        tokens = [_NUMBER_MARK if t == "№" or t[0].isdigit() else t
                  for t in _TOKEN_RE.findall(part)]
        if tokens:
            clauses.append(tokens)
    return clauses


# --------------------------------------------------------------------------- Russian


@lru_cache(maxsize=100_000)
def parse_word(word: str):
    """The pymorphy3 parse of a lower-case word, a noun reading first where there is one."""
    parses = morph_parses(word)
    first = parses[0]
    if first.tag.POS in VERB_LIKE or first.tag.POS is None:
        nouns = [parse for parse in parses if parse.tag.POS == "NOUN"]
        if nouns and (first.tag.POS is None
                      or sum(p.score for p in nouns) >= NOUN_READING_MIN_SCORE):
            return nouns[0]
    # readings pymorphy cannot tell apart (an unknown word, guessed: «книговорот» as a
    # genitive of «книговорота» or as itself): the one that leaves the word as written
    tied = [p for p in parses if p.score >= first.score - 1e-9 and p.tag.POS == first.tag.POS]
    return next((p for p in tied if p.normal_form == p.word), first)


def _lemma(parse) -> str:
    return parse.normal_form.replace("ё", "е")


def _is_common(parse) -> bool:
    return not (PROPER_GRAMMEMES & set(parse.tag.grammemes)) and _lemma(parse) not in MONTHS


def _inflect(parse, grammemes: frozenset) -> str | None:
    inflected = parse.inflect(set(grammemes))
    return inflected.word if inflected else None


@lru_cache(maxsize=50_000)
def _nominative_noun(parse) -> str | None:
    if "Abbr" in parse.tag or "Fixd" in parse.tag:
        return parse.normal_form
    return _inflect(parse, frozenset({"nomn", parse.tag.number or "sing"}))


@lru_cache(maxsize=50_000)
def _nominative_adjective(parse, number, gender) -> str | None:
    if number == "plur":
        return _inflect(parse, frozenset({"nomn", "plur"}))
    return _inflect(parse, frozenset({"nomn", "sing", gender or "masc"}))


def _agrees(adjective, noun) -> bool:
    a, n = adjective.tag, noun.tag
    if a.case != n.case or a.number != n.number:
        return False
    return a.number == "plur" or a.gender is None or n.gender is None or a.gender == n.gender


@lru_cache(maxsize=200_000)
def _word_info(raw: str) -> tuple:
    """``(parse or None, lemma, abbreviation)`` of a raw Russian token (cached: tokens repeat
    across texts, and parsing is the slow part of reading phrases)."""
    if raw == _NUMBER_MARK or not re.search(r"[а-яё]", raw, re.IGNORECASE):
        return None, "", False
    stops = stop_words("ru")
    parse = parse_word(raw.lower())
    lemma = _lemma(parse)
    # «ЦОД», «НЭБ», «СВО», «ЛитРес»: capitals inside the word mark an abbreviation or a
    # brand; pymorphy may not know it, and it must be shown as written
    abbreviation = bool(_INNER_CAPITAL_RE.match(raw)) and len(raw) >= 2
    inflected = _INFLECTED_ABBREVIATION_RE.match(raw)
    if inflected:  # «строители БАМа» and «БАМ» are one term
        lemma = inflected.group(1).lower().replace("ё", "е")
    if lemma in stops or (not _is_common(parse) and not abbreviation):
        return None, "", abbreviation
    if len(raw) < MIN_WORD_CHARS and not abbreviation:
        return None, "", abbreviation
    if parse.tag.POS == "PRTF":  # «данный» parses as a participle of «дать»
        masculine = parse.inflect({"nomn", "sing", "masc"})
        if masculine is not None and masculine.word.replace("ё", "е") in stops:
            return None, "", abbreviation
    return parse, lemma, abbreviation


@lru_cache(maxsize=200_000)
def _word_kind(raw: str) -> tuple:
    """:func:`_word_info` plus whether the token is a content noun, adjective, genitive noun."""
    parse, lemma, abbreviation = _word_info(raw)
    if parse is None:
        return parse, lemma, abbreviation, False, False, False
    pos = parse.tag.POS
    is_noun = pos == "NOUN" or abbreviation
    is_adjective = pos in {"ADJF", "PRTF"} and not abbreviation
    is_genitive = is_noun and ("gent" in parse.tag or abbreviation)
    return parse, lemma, abbreviation, is_noun, is_adjective, is_genitive


class _Word:
    """A token of a clause: its raw form, parse and whether it is a content noun/adjective.

    One instance per distinct token (:func:`_word`), so what phrases need of a word — its
    nominative, its form inside a phrase, the single-noun phrase — is worked out once here
    rather than at every occurrence."""

    __slots__ = ("raw", "parse", "lemma", "abbreviation", "is_noun", "is_adjective",
                 "is_genitive_noun", "head", "nominative", "inner", "single")

    def __init__(self, raw: str):
        self.raw = raw
        (self.parse, self.lemma, self.abbreviation, self.is_noun, self.is_adjective,
         self.is_genitive_noun) = _word_kind(raw)
        self.head = _noun_form(self) if self.is_noun else None  # the phrase's first noun
        # a noun after an adjective is never an abbreviation: its plain nominative
        self.nominative = (_nominative_noun(self.parse)
                           if self.is_noun and not self.abbreviation else None)
        self.inner = self.shown(raw.lower())  # as a complement: «ремонт *дорог*», «*ЦОД*»
        self.single = (Phrase((self.lemma,), self.head, self.lemma)
                       if self.head and self.lemma not in GENERIC_NOUNS else None)

    def shown(self, form: str | None) -> str | None:
        """``form`` as written: abbreviations keep their capitals."""
        if form is None:
            return None
        if self.abbreviation:
            return self.raw if not self.raw.isupper() else form.upper()
        return form


def _noun_form(word: _Word) -> str | None:
    inflected = _INFLECTED_ABBREVIATION_RE.match(word.raw) if word.abbreviation else None
    if inflected:
        return inflected.group(1)
    if word.abbreviation:
        return word.raw if word.raw.isupper() or not word.raw.islower() else word.raw.upper()
    return _nominative_noun(word.parse)


def _russian_phrases(words: list[_Word], i: int) -> list[Phrase]:
    """Noun phrases starting at ``words[i]``."""
    n = len(words)
    w0 = words[i]
    w1 = words[i + 1] if i + 1 < n else None
    w2 = words[i + 2] if i + 2 < n else None
    w3 = words[i + 3] if i + 3 < n else None
    # a phrase followed by a number («автобус маршрута № 5») is too specific
    free2 = w2 is None or w2.raw != _NUMBER_MARK
    free3 = w3 is None or w3.raw != _NUMBER_MARK
    found = []
    if w0.single is not None:
        found.append(w0.single)
    head = w0.head
    if head and w1 is not None:
        if w1.is_genitive_noun and free2 and w1.lemma != w0.lemma:
            found.append(Phrase((w0.lemma, w1.lemma), f"{head} {w1.inner}",
                                w0.lemma, (w1.lemma,)))
        if w1.is_genitive_noun and w2 is not None and w2.is_genitive_noun and free3 \
                and len({w0.lemma, w1.lemma, w2.lemma}) == 3:
            # «семьи участников СВО», «ремонт дорог района»
            found.append(Phrase((w0.lemma, w1.lemma, w2.lemma),
                                f"{head} {w1.inner} {w2.inner}", w0.lemma,
                                (w1.lemma, w2.lemma)))
        if w1.is_adjective and "gent" in w1.parse.tag \
                and w2 is not None and w2.is_genitive_noun and _agrees(w1.parse, w2.parse) \
                and free3:
            found.append(Phrase((w0.lemma, w1.lemma, w2.lemma),
                                f"{head} {w1.raw.lower()} {w2.inner}",
                                w0.lemma, (w2.lemma,)))
    if w0.is_adjective and w1 is not None and w1.is_noun and not w1.abbreviation:
        forms = _agreeing((w0.raw,), w1.raw)
        if forms is not None:
            (adjective,), noun = forms
            found.append(Phrase((w0.lemma, w1.lemma), f"{adjective} {noun}", w1.lemma))
            if w2 is not None and w2.is_genitive_noun and free3:
                found.append(Phrase((w0.lemma, w1.lemma, w2.lemma),
                                    f"{adjective} {noun} {w2.inner}",
                                    w1.lemma, (w2.lemma,)))
        if w1.is_adjective and w2 is not None and w2.is_noun and not w2.abbreviation:
            forms = _agreeing((w0.raw, w1.raw), w2.raw)
            if forms is not None:
                (first, second), noun = forms
                found.append(Phrase((w0.lemma, w1.lemma, w2.lemma),
                                    f"{first} {second} {noun}", w2.lemma))
    return found


@lru_cache(maxsize=200_000)
def _agreeing(adjectives: tuple, noun: str) -> tuple | None:
    """Nominative forms of adjectives + noun that agree, or ``None``: ``(adjective forms,
    noun form)``.

    The chosen reading of each word is tried first, then the word's other readings of the
    same lemma and part of speech: «настольные игры» agrees only when «игры» is read as a
    plural (pymorphy's best reading is the genitive singular), and is then shown as the
    plural it is, not «настольная игра»."""
    words = [_word(raw) for raw in adjectives] + [_word(noun)]
    readings = [[w.parse] + [p for p in morph_parses(w.raw.lower()) if p != w.parse
                             and p.tag.POS == w.parse.tag.POS
                             and p.normal_form == w.parse.normal_form] for w in words]
    for noun_parse in readings[-1]:
        chosen = [next((a for a in options if _agrees(a, noun_parse)), None)
                  for options in readings[:-1]]
        if any(a is None for a in chosen):
            continue
        tag = noun_parse.tag
        number = tag.number or "sing"
        forms = [_nominative_adjective(a, number, tag.gender) for a in chosen]
        nominative = _nominative_noun(noun_parse)
        if nominative and all(forms):
            return tuple(forms), nominative
    return None


@lru_cache(maxsize=200_000)
def _word(raw: str) -> _Word:
    """The one :class:`_Word` of a raw token (read-only, so shared by every text)."""
    return _Word(raw)


def _russian_terms(raw: str) -> TextTerms:
    lemmas, phrases = set(), {}
    for clause in raw_clauses(raw):
        words = [_word(token) for token in clause]
        for i, word in enumerate(words):
            # every phrase starts with a content noun or adjective
            if word.parse is None or not (word.is_noun or word.is_adjective):
                continue
            lemmas.add(word.lemma)
            for phrase in _russian_phrases(words, i):
                phrases.setdefault(phrase.key, phrase)
    return TextTerms(frozenset(lemmas), phrases)


# --------------------------------------------------------------------------- English, German


def _latin_stop_words() -> frozenset:
    # short German texts without umlauts are detected as English: both lists apply
    return stop_words("en") | stop_words("de")


def _latin_terms(raw: str, language: str) -> TextTerms:
    stops = _latin_stop_words()
    lemmas, phrases, lowercase = set(), {}, set()
    for clause in raw_clauses(raw):
        stems = []
        for position, token in enumerate(clause):
            lower = token.lower()
            if token == _NUMBER_MARK or lower in stops or len(lower) < MIN_WORD_CHARS \
                    or not lower.isalpha():
                stems.append(None)
                continue
            stems.append(stem(lower, language))
        for position, token in enumerate(clause):
            word_stem = stems[position]
            if word_stem is None:
                continue
            lemmas.add(word_stem)
            if language == "de" and token[0].islower():
                lowercase.add(word_stem)
            # German nouns are written with a capital (one at the start of a clause says
            # nothing: such a word counts where it also stands inside a clause); English has
            # no such mark, so common adjective endings keep bare adjectives out
            if language == "de":
                is_noun = token[0].isupper() and position > 0
            else:
                is_noun = not token.lower().endswith(ENGLISH_ADJECTIVE_ENDINGS)
            if is_noun and word_stem not in GENERIC_NOUNS:
                phrases.setdefault((word_stem,), Phrase((word_stem,), token, word_stem))
            following = stems[position + 1] if position + 1 < len(stems) else None
            if following is not None and _is_noun_pair(token, clause[position + 1], language):
                key = (word_stem, following)
                text = f"{token} {clause[position + 1]}"
                phrases.setdefault(key, Phrase(key, text, following))
    return TextTerms(frozenset(lemmas), phrases, frozenset(lowercase))


def adjective_stems(terms) -> frozenset:
    """Stems that a German track writes in lower case in more texts than it has them as a
    capitalised single word: adjectives and verbs capitalised at a clause's start or in a
    name («Abfertigung Neu» beside «neue», «neuen»), never a noun to name a section with.

    Parameters
    ----------
    terms : iterable of TextTerms
    """
    lower: dict = {}
    capital: dict = {}
    for text_terms_ in terms:
        for stem_ in text_terms_.lowercase:
            lower[stem_] = lower.get(stem_, 0) + 1
        for key in text_terms_.phrases:
            if len(key) == 1:
                capital[key[0]] = capital.get(key[0], 0) + 1
    return frozenset(stem_ for stem_, count in lower.items() if count >= capital.get(stem_, 0)
                     and stem_ in capital)


#: Case endings of German words (genitive -s/-es, dative -e, dative plural -n/-en, adjective
#: endings -r/-m): «Klimas», «Hause», «Städten», «erneuerbaren» are forms of «Klima»,
#: «Haus», «Städte», «erneuerbare».
_LATIN_CASE_ENDINGS = ("s", "es", "e", "n", "en", "r", "m")
_LATIN_RE = re.compile(r"[a-zäöüß]", re.IGNORECASE)


def _inflects(form: str, base: str) -> bool:
    """Whether ``form`` is ``base`` word by word, some words with a case ending added."""
    words, bases = form.split(" "), base.split(" ")
    if len(words) != len(bases) or form == base:
        return False
    return all(word == b or (word.startswith(b) and word[len(b):] in _LATIN_CASE_ENDINGS)
               for word, b in zip(words, bases))


def _pooled_choice(forms: dict):
    """The form of a key to show: the one seen most often, counting the case forms of a
    Latin-script word as that word («Städten» counts for «Städte», «Klimas» for «Klima»);
    of equal counts the shorter, then the first seen."""
    first = next(iter(forms))
    if not _LATIN_RE.search(first.text) or re.search(r"[а-яё]", first.text, re.IGNORECASE):
        return max(forms, key=forms.get)
    order = {phrase: i for i, phrase in enumerate(forms)}
    pooled = {base: count + sum(n for form, n in forms.items() if _inflects(form.text, base.text))
              for base, count in forms.items()}
    return min(pooled, key=lambda p: (-pooled[p], len(p.text), order[p]))


#: Endings of inflected German adjectives («erneuerbare Energie», «öffentlichen Verkehr»).
GERMAN_ADJECTIVE_ENDINGS = ("e", "en", "er", "es", "em")


def _is_noun_pair(first: str, second: str, language: str) -> bool:
    """Whether two adjacent words form a noun phrase: the head (second word) is a noun.

    German: a lower-case inflected adjective before a capitalised noun. English: the second
    word is no adjective (no tagger: by its ending)."""
    if language == "de":
        return first[0].islower() and first.endswith(GERMAN_ADJECTIVE_ENDINGS) \
            and second[0].isupper()
    return not second.lower().endswith(ENGLISH_ADJECTIVE_ENDINGS)


def most_frequent_forms(phrases_of_texts) -> dict:
    """The most frequent display form of every phrase key over many texts.

    Parameters
    ----------
    phrases_of_texts : iterable of dict
        ``TextTerms.phrases`` of each text.

    Returns
    -------
    dict
        ``{key: Phrase}`` with the form seen most often (ties: the first seen); for
        English and German the case forms of a word count as that word («Städten» for
        «Städte»), and of equal counts the shorter form wins. German words that are mostly
        written in lower case are left out of titles by :func:`adjective_stems`.
    """
    # plain dicts, not a Counter per key: this runs over every phrase of every text
    counts: dict = {}
    for phrases in phrases_of_texts:
        for key, phrase in phrases.items():
            forms = counts.get(key)
            if forms is None:
                counts[key] = {phrase: 1}
            else:
                forms[phrase] = forms.get(phrase, 0) + 1
    # max() keeps the first of equal counts, in the order first seen
    chosen = {key: next(iter(forms)) if len(forms) == 1 else _pooled_choice(forms)
              for key, forms in counts.items()}
    return _shown_as_base_words(chosen, {key: sum(f.values()) for key, f in counts.items()})


def _shown_as_base_words(chosen: dict, seen: dict) -> dict:
    """A Latin-script word whose stem differs from its base word's only by a case ending
    (Snowball keeps «klimas» apart from «klima») is shown as that base word where the track
    has it more often: the title reads «Klima», not «Klimas»."""
    by_text = {}
    for key, phrase in chosen.items():
        if len(key) == 1 and _LATIN_RE.search(phrase.text):
            by_text.setdefault(phrase.text, key)
    for key, phrase in list(chosen.items()):
        if len(key) != 1 or not _LATIN_RE.search(phrase.text):
            continue
        for ending in _LATIN_CASE_ENDINGS:
            base_key = by_text.get(phrase.text[:-len(ending)]) if phrase.text.endswith(
                ending) else None
            if base_key is not None and base_key != key and seen[base_key] >= seen[key]:
                base = chosen[base_key]
                chosen[key] = Phrase(key, base.text, phrase.head, phrase.complements)
                break
    return chosen
