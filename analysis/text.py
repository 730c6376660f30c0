"""Text normalisation, tokenisation, language detection and lemmatisation.

Every function here is pure: the same text gives the same tokens. The slow part,
pymorphy3's ``parse``, is cached per unique token, so lemmatising 100,000 short texts
costs about as much as lemmatising their vocabulary once.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

import snowballstemmer
from stop_words import StopWordError, get_stop_words

logger = logging.getLogger(__name__)

#: Longest text we analyse, in characters. Longer texts are cut (and the cut is logged by the
#: pipeline) so that one pasted document cannot dominate memory or the vocabulary.
MAX_TEXT_CHARS = 5000

_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+@[\w-]+\.[\w.]+\b", re.IGNORECASE)
_NUMBER_RE = re.compile(r"\d+(?:[.,:/-]\d+)*")
_PUNCTUATION_RE = re.compile(r"[^\w\s-]+|_+|(?<!\w)-+|-+(?!\w)")
_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN_RE = re.compile(r"[a-zäöüß]", re.IGNORECASE)
_GERMAN_HINT_RE = re.compile(
    r"[äöüß]|\b(?:und|der|die|das|nicht|ist|mit|für|auf|werden|sollen|mehr)\b", re.IGNORECASE
)

#: Domain words that say nothing about a proposal's topic in this workshop (and in citizen
#: appeals generally): greetings, politeness, the obvious "library" context is kept on purpose
#: because sections about libraries still need it in their titles.
DOMAIN_STOP_WORDS_RU = frozenset(
    """
    здравствовать добрый день вечер утро уважаемый просить прошу пожалуйста спасибо благодарить
    заранее помочь помогите предлагать предложение предложить также очень весь свой который
    это этот такой наш ваш год раз мочь нужно надо необходимо сделать делать хотеть хотеться
    почему когда где уже ещё еще вопрос ответ сказать говорить т д др г ул дом данный
    здравствуйте являться находиться возле напротив никто ничто около также
    """.split()
)
DOMAIN_STOP_WORDS_EN = frozenset("please thank thanks hello propose proposal also would".split())


@lru_cache(maxsize=8)
def stop_words(language: str) -> frozenset[str]:
    """Return the stop words for ``language`` ('ru', 'en' or 'de'), plus the domain list.

    Parameters
    ----------
    language : str
        Two-letter language code.

    Returns
    -------
    frozenset of str
        Lower-cased stop words with ``ё`` replaced by ``е``.
    """
    names = {"ru": "russian", "en": "english", "de": "german"}
    try:
        words = set(get_stop_words(names.get(language, "russian")))
    except StopWordError:  # unknown language: no stop words rather than no analysis
        words = set()
    if language == "ru":
        words |= DOMAIN_STOP_WORDS_RU
        # pymorphy3 lemmas of the stop words too, since we filter after lemmatising
        words |= {lemmatize_ru(w) for w in list(words)}
    elif language == "en":
        words |= DOMAIN_STOP_WORDS_EN
    return frozenset(w.replace("ё", "е") for w in words)


def normalize_text(text: object, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Lower-case a text, replace ``ё`` by ``е``, drop links, e-mails, numbers, punctuation.

    Parameters
    ----------
    text : object
        Anything; ``None``/NaN and non-strings become ``""`` or ``str(text)``.
    max_chars : int, default=5000
        Texts longer than this are cut to this length.

    Returns
    -------
    str
        Lower-case text with single spaces; only in-word hyphens remain of punctuation.
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    text = str(text)[:max_chars].lower().replace("ё", "е")
    text = _URL_RE.sub(" ", text)
    text = _NUMBER_RE.sub(" ", text)
    text = _PUNCTUATION_RE.sub(" ", text)
    return " ".join(text.split())


def tokenize(text: str) -> list[str]:
    """Split a normalised text into word tokens (runs of letters, in-word hyphens kept).

    Parameters
    ----------
    text : str
        Output of :func:`normalize_text`.

    Returns
    -------
    list of str
        Tokens of at least two letters.
    """
    return [t for t in _WORD_RE.findall(text) if len(t) >= 2]


def detect_language(text: str) -> str:
    """Guess the language of a text from its letters.

    Cyrillic majority means Russian; otherwise German if umlauts or common German
    function words occur, else English. Texts without letters count as Russian
    (the workshop's language).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        'ru', 'de' or 'en'.
    """
    cyrillic = len(_CYRILLIC_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    if cyrillic >= latin:
        return "ru"
    return "de" if _GERMAN_HINT_RE.search(text) else "en"


_MORPH_LOCK = threading.Lock()
_MORPH = None


def _morph():
    """The process's one pymorphy3 analyzer, built on first use under a lock.

    Building it costs ~0.5 s and ~15 MB, so threads that ask at once must not each build
    one; after that, ``parse`` only reads the dictionaries and is safe to share.
    """
    global _MORPH
    if _MORPH is None:
        with _MORPH_LOCK:
            if _MORPH is None:
                import pymorphy3  # imported lazily: building the analyzer costs ~0.5 s

                _MORPH = pymorphy3.MorphAnalyzer()
    return _MORPH


@lru_cache(maxsize=100_000)
def morph_parses(word: str) -> tuple:
    """All pymorphy3 readings of a lower-case word, best first (cached per word: the lemmas
    of the prepare stage and the phrases of the naming stage read the same words, and the
    parse is the slow part of both)."""
    return tuple(_morph().parse(word))


@lru_cache(maxsize=200_000)
def lemmatize_ru(token: str) -> str:
    """Return the pymorphy3 normal form of a Russian token (cached per token)."""
    if not _CYRILLIC_RE.search(token):
        return token
    return morph_parses(token)[0].normal_form.replace("ё", "е")


_STEMMERS = threading.local()


def _stemmer(language: str):
    """A Snowball stemmer of this thread: a stemmer keeps the word it is working on in its
    own fields, so two threads sharing one corrupt each other's stems."""
    stemmers = getattr(_STEMMERS, "by_language", None)
    if stemmers is None:
        stemmers = _STEMMERS.by_language = {}
    name = {"en": "english", "de": "german"}.get(language, "english")
    if name not in stemmers:
        stemmers[name] = snowballstemmer.stemmer(name)
    return stemmers[name]


@lru_cache(maxsize=200_000)
def stem(token: str, language: str) -> str:
    """Return the Snowball stem of a non-Russian token (cached per token and language)."""
    return _stemmer(language).stemWord(token)


def lemmatize_token(token: str, language: str) -> str:
    """Lemma (Russian, also for Cyrillic words inside other texts) or stem (Latin) of a token."""
    if _CYRILLIC_RE.search(token):
        return lemmatize_ru(token)
    return stem(token, "en" if language == "ru" else language)


def analyse_normalized(normal: str) -> tuple[str, list[str], list[str]]:
    """Language, content lemmas and content word forms of an already normalised text.

    Parameters
    ----------
    normal : str
        Output of :func:`normalize_text`.

    Returns
    -------
    language : str
        Detected language code.
    lemmas : list of str
        Content lemmas (Russian) or stems (other languages), in text order.
    tokens : list of str
        The word forms that gave those lemmas (for word vectors).
    """
    language = detect_language(normal)
    stops = stop_words(language)
    lemmas, tokens = [], []
    for token in tokenize(normal):
        if token in stops:
            continue
        lemma = lemmatize_token(token, language)
        if lemma not in stops and len(lemma) >= 2:
            lemmas.append(lemma)
            tokens.append(token)
    return language, lemmas, tokens


def analyse_text(text: object, max_chars: int = MAX_TEXT_CHARS) -> tuple[str, list[str]]:
    """Normalise, tokenise, lemmatise and drop stop words of one raw text.

    Parameters
    ----------
    text : object
        Raw text.
    max_chars : int, default=5000
        Cut-off length, see :func:`normalize_text`.

    Returns
    -------
    language : str
    lemmas : list of str
    """
    language, lemmas, _ = analyse_normalized(normalize_text(text, max_chars))
    return language, lemmas


_CLAUSE_BREAK_RE = re.compile(r"[.,;:!?()\[\]«»\"\n–—]+|\s-\s")


#: German compounds are split into parts of at least this many letters (shorter stems such as
#: «bau», «neu» would match inside unrelated words).
COMPOUND_MIN_PART = 4
#: Languages whose compounds are split (Russian rarely compounds; its lemmas stay whole).
COMPOUND_LANGUAGES = ("de",)


def compound_parts(lemma: str, vocabulary, min_part: int = COMPOUND_MIN_PART) -> list[str]:
    """The stems of ``vocabulary`` that start or end ``lemma`` with at least ``min_part``
    letters left over: «wasserkleinkraftwerk» → «wass», «kraftwerk» when those stand alone
    somewhere in the same texts (the texts' own words, no dictionary).

    German writes one word where Russian writes a phrase («Solarenergie»,
    «Energiegemeinschaft»): without its parts, a compound shares nothing with the texts that
    use the plain word.
    """
    found = []
    for cut in range(min_part, len(lemma) - min_part + 1):
        for part in (lemma[:cut], lemma[cut:]):
            if part in vocabulary and part not in found:
                found.append(part)
    return found
