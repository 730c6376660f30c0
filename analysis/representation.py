"""Describe clusters for people: key terms (class-based TF-IDF), titles, representatives.

Key terms follow BERTopic's c-TF-IDF: the lemmas of all texts of a section are joined into
one document per section, term frequencies are normalised per section and weighted by
``log(1 + A / f_t)``, where ``A`` is the average number of terms per section and ``f_t`` the
term's frequency over all sections.

Titles are Russian nominative phrases built from the section's own words with pymorphy3:
the top noun lemma is the head (nominative), an adjective that precedes it in the texts is
made to agree with it, and a genitive complement that follows it in the texts is kept, for
example «Развитие креативных пространств».
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from .text import _CLAUSE_BREAK_RE, _morph, stop_words, surface_clauses

OTHER_TITLE = "Прочее"
#: Texts of a section read to find title phrases / the head noun's neighbours: phrases that
#: matter recur within the first few hundred texts, and reading all of 10,000 is slow.
PHRASE_SAMPLE_TEXTS = 200
HEAD_SAMPLE_TEXTS = 300
#: A three-word phrase scores this much more than a two-word one with the same support: it
#: says more («Ремонт сельских библиотек» over «Сельские библиотеки») but must not win alone.
LONGER_PHRASE_BONUS = 0.1

#: Nouns too generic to head a section title.
GENERIC_NOUNS = frozenset(
    "вопрос проблема ситуация случай время день год раз человек житель работа сторона "
    "место помощь просьба решение ответ обращение информация".split()
)


def class_tfidf_terms(
    lemma_docs: pd.Series, labels: np.ndarray, *, n_terms: int = 8, ngram_range=(1, 2)
) -> dict[int, list[tuple[str, float]]]:
    """Top terms per cluster by class-based TF-IDF.

    Parameters
    ----------
    lemma_docs : Series of str
        Space-separated lemmas of each text.
    labels : ndarray of int
        Cluster of each text.
    n_terms : int, default=8
        Terms to return per cluster.
    ngram_range : tuple, default=(1, 2)
        Lemma n-grams considered as terms.

    Returns
    -------
    dict
        ``{label: [(term, weight), ...]}`` in decreasing weight; bigrams are kept only when
        they occur in at least two texts of the cluster.
    """
    labels = np.asarray(labels)
    classes = sorted(set(labels.tolist()))
    joined = [" ".join(lemma_docs[labels == c]) for c in classes]
    if not any(doc.strip() for doc in joined):
        return {c: [] for c in classes}
    vectorizer = CountVectorizer(token_pattern=r"\S+", ngram_range=ngram_range, lowercase=False)
    try:
        counts = vectorizer.fit_transform(joined).astype(np.float64)
    except ValueError:
        return {c: [] for c in classes}
    terms = vectorizer.get_feature_names_out()
    weights = _ctfidf(counts)
    doc_counts = _documents_per_term(lemma_docs, labels, classes, vectorizer)
    result = {}
    for row, c in enumerate(classes):
        order = np.argsort(-weights[row], kind="stable")
        chosen = []
        for index in order:
            if weights[row, index] <= 0 or len(chosen) >= n_terms:
                break
            is_bigram = " " in terms[index]
            if is_bigram and doc_counts[row, index] < 2:
                continue
            chosen.append((str(terms[index]), float(weights[row, index])))
        result[c] = chosen
    return result


def _ctfidf(counts: sp.csr_matrix) -> np.ndarray:
    """BERTopic's class-based TF-IDF weights for a (classes × terms) count matrix."""
    counts = sp.csr_matrix(counts)
    tf = sp.diags(1.0 / np.maximum(counts.sum(axis=1).A1, 1)) @ counts
    term_totals = np.asarray(counts.sum(axis=0)).ravel()
    average_terms = counts.sum() / max(counts.shape[0], 1)
    idf = np.log(1 + average_terms / np.maximum(term_totals, 1))
    return np.asarray((tf @ sp.diags(idf)).todense())


def _documents_per_term(lemma_docs, labels, classes, vectorizer) -> np.ndarray:
    """How many texts of each class contain each term (bigrams must repeat to count)."""
    binary = vectorizer.transform(lemma_docs) > 0
    rows = []
    for c in classes:
        rows.append(np.asarray(binary[labels == c].sum(axis=0)).ravel())
    return np.vstack(rows)


def centroid_similarity(vectors: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Cosine similarity of each member to the members' centroid.

    Parameters
    ----------
    vectors : ndarray of shape (n_texts, d)
        Unit-length rows of all texts.
    members : ndarray of int
        Row indices of the cluster.

    Returns
    -------
    similarity : ndarray of float
        Cosine similarity of each member to the centroid (same order as ``members``).
    """
    block = vectors[members]
    centroid = block.mean(axis=0)
    norm = np.linalg.norm(centroid)
    if norm == 0:
        return np.zeros(len(members))
    return block @ (centroid / norm)


# --------------------------------------------------------------------------- titles


@lru_cache(maxsize=100_000)
def _parse(word: str):
    return _morph().parse(word)[0]


@lru_cache(maxsize=50_000)
def _noun_parse(lemma: str):
    """The parse of ``lemma`` as a nominative noun, or ``None`` if it is not a noun."""
    for parse in _morph().parse(lemma):
        same_lemma = parse.normal_form.replace("ё", "е") == lemma
        if parse.tag.POS == "NOUN" and "nomn" in parse.tag and same_lemma and _is_common(parse):
            return parse
    return None


#: Grammemes of names and abbreviations, which make poor title words («Улица Косухина»).
PROPER_GRAMMEMES = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad", "Abbr"})
MONTHS = frozenset(
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()
)


def _is_common(parse) -> bool:
    """A common word: not a name, a place, an abbreviation or a month."""
    return not (PROPER_GRAMMEMES & set(parse.tag.grammemes)) and parse.normal_form not in MONTHS


def _inflect(parse, grammemes: set[str]) -> str | None:
    inflected = parse.inflect(grammemes)
    return inflected.word if inflected else None


def _head_number(head_lemma: str, token_docs: list[list[str]]) -> str:
    """'plur' when the head noun occurs mostly in the plural in the texts, else 'sing'."""
    numbers = Counter()
    for tokens in token_docs:
        for token in tokens:
            parse = _parse(token)
            if parse.normal_form.replace("ё", "е") == head_lemma and parse.tag.POS == "NOUN":
                numbers[parse.tag.number or "sing"] += 1
    return "plur" if numbers["plur"] > numbers["sing"] else "sing"


def _neighbour_phrases(head_lemma: str, token_docs: list[list[str]]):
    """Adjectives right before the head and genitive complements right after it."""
    adjectives, complements = Counter(), Counter()
    stops = stop_words("ru")
    for tokens in token_docs:
        for i, token in enumerate(tokens):
            parse = _parse(token)
            if parse.normal_form.replace("ё", "е") != head_lemma or parse.tag.POS != "NOUN":
                continue
            if i > 0:
                before = _parse(tokens[i - 1])
                if before.tag.POS in {"ADJF", "PRTF"} and before.normal_form not in stops \
                        and _is_common(before):
                    adjectives[before.normal_form] += 1
            complement = _genitive_complement(tokens[i + 1:i + 3], stops)
            if complement:
                complements[complement] += 1
    return adjectives, complements


def _genitive_complement(following: list[str], stops) -> str | None:
    """'креативных пространств' / 'библиотек' if the next words form a genitive group."""
    if not following:
        return None
    first = _parse(following[0])
    if first.tag.POS == "NOUN" and "gent" in first.tag and first.normal_form not in stops \
            and _is_common(first):
        return following[0]
    if (
        len(following) == 2
        and first.tag.POS in {"ADJF", "PRTF"}
        and "gent" in first.tag
        and _parse(following[1]).tag.POS == "NOUN"
        and "gent" in _parse(following[1]).tag
        and _parse(following[1]).tag.number == first.tag.number
        and _is_common(_parse(following[1]))
    ):
        return " ".join(following)
    return None


def _agreeing_adjective(adjective_lemma: str, head_parse, number: str) -> str | None:
    for parse in _morph().parse(adjective_lemma):
        if parse.tag.POS in {"ADJF", "PRTF"}:
            if number == "plur":
                return _inflect(parse, {"nomn", "plur"})
            gender = head_parse.tag.gender or "masc"
            return _inflect(parse, {"nomn", "sing", gender})
    return None


def russian_title(key_lemmas: list[str], token_docs: list[list[str]]) -> str | None:
    """Build a nominative noun phrase from a section's key lemmas and texts.

    Parameters
    ----------
    key_lemmas : list of str
        Unigram lemmas in decreasing importance (c-TF-IDF order).
    token_docs : list of list of str
        Surface tokens (normalised, no stop-word filtering) of the section's texts.

    Returns
    -------
    str or None
        A capitalised phrase such as «Ремонт дорог» or ``None`` if no key lemma is a noun.
    """
    nouns = [lemma for lemma in key_lemmas if _noun_parse(lemma) is not None]
    preferred = [lemma for lemma in nouns if lemma not in GENERIC_NOUNS] or nouns
    if not preferred:
        return None
    head_lemma = preferred[0]
    head_parse = _noun_parse(head_lemma)
    number = _head_number(head_lemma, token_docs)
    head = _inflect(head_parse, {"nomn", number}) or head_lemma
    adjectives, complements = _neighbour_phrases(head_lemma, token_docs)
    words = []
    if adjectives:
        adjective_lemma, count = adjectives.most_common(1)[0]
        adjective = _agreeing_adjective(adjective_lemma, head_parse, number)
        if adjective and count >= 2:
            words.append(adjective)
    words.append(head)
    if complements and complements.most_common(1)[0][1] >= 2:
        words.append(complements.most_common(1)[0][0])
    elif len(words) == 1:
        second = _second_noun(preferred[1:], token_docs)
        if second:
            words.extend(["и", second])
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def _second_noun(candidates: list[str], token_docs: list[list[str]]) -> str | None:
    """The next key noun (nominative, in the number it mostly has in the texts).

    Used when the texts give no adjective or genitive complement for the head: «A и B» reads
    better than an invented genitive link between two unrelated nouns.
    """
    for lemma in candidates[:3]:
        parse = _noun_parse(lemma)
        if parse is None:
            continue
        form = _inflect(parse, {"nomn", _head_number(lemma, token_docs)})
        if form:
            return form
    return None


def fallback_title(key_terms: list[str]) -> str:
    """Title from key terms when no Russian noun phrase can be built (e.g. English texts)."""
    if not key_terms:
        return OTHER_TITLE
    words = key_terms[:2]
    text = ", ".join(words)
    return text[:1].upper() + text[1:]


def section_title_candidates(key_terms: list[str], texts: list[str], language: str) -> list[str]:
    """Candidate titles of one section, best first (never empty).

    Russian sections prefer noun phrases that occur in their texts
    (:func:`phrase_title_candidates`); then the phrase built around the top key noun
    (:func:`russian_title`); then key terms (:func:`fallback_title`). Later candidates let
    the caller keep titles distinct between sections without suffixes.
    """
    candidates = []
    if language == "ru":
        unigrams = [t for t in key_terms if " " not in t]
        bigram_words = [w for t in key_terms if " " in t for w in t.split()]
        candidates.extend(phrase_title_candidates(unigrams + bigram_words,
                                                  texts[:PHRASE_SAMPLE_TEXTS]))
        token_docs = [clause for text in texts[:HEAD_SAMPLE_TEXTS]
                      for clause in surface_clauses(text)]
        title = russian_title(unigrams + bigram_words, token_docs)
        if title and title not in candidates:
            candidates.insert(min(1, len(candidates)), title)
    candidates.append(fallback_title(key_terms))
    return candidates


def make_titles_unique(titles: list[str], key_terms: list[list[str]]) -> list[str]:
    """Make titles distinct by adding a key term that is not in the title yet.

    Parameters
    ----------
    titles : list of str
    key_terms : list of list of str
        Key terms of the same sections.

    Returns
    -------
    list of str
        Titles; duplicates get ``": <term>"``, and as a last resort a running number.
    """
    seen = Counter(titles)
    result, used = [], set()
    for title, terms in zip(titles, key_terms):
        candidate = title
        if seen[title] > 1 or candidate in used:
            lowered = title.lower()
            for term in terms:
                if term.split()[0] not in lowered:
                    candidate = f"{title}: {term}"
                    if candidate not in used:
                        break
        number = 2
        base = candidate
        while candidate in used:
            candidate = f"{base} ({number})"
            number += 1
        used.add(candidate)
        result.append(candidate)
    return result


# --------------------------------------------------------------------------- phrase titles

_NUMBER_MARK = "#"
_TITLE_CLAUSE_RE = re.compile(r"№|\d+(?:[.,:/-]\d+)*|[^\W\d_]+(?:-[^\W\d_]+)*")


def title_clauses(text: object, max_chars: int = 5000) -> list[list[str]]:
    """Lower-case word tokens of each clause of a raw text, numbers kept as ``'#'``.

    The number mark lets phrase search drop complements that only name a specific object
    («автобус маршрута № 5», «дом 12»), which read oddly as section titles.
    """
    if text is None or (isinstance(text, float) and text != text):
        return []
    clauses = []
    for part in _CLAUSE_BREAK_RE.split(str(text)[:max_chars].lower().replace("ё", "е")):
        tokens = [_NUMBER_MARK if t == "№" or t[0].isdigit() else t
                  for t in _TITLE_CLAUSE_RE.findall(part)]
        if tokens:
            clauses.append(tokens)
    return clauses


def _content(parse, stops) -> bool:
    if parse.normal_form.replace("ё", "е") in stops or not _is_common(parse) \
            or len(parse.word) < 3:
        return False
    if parse.tag.POS == "PRTF":  # «данный» parses as a participle of «дать»
        masculine = parse.inflect({"nomn", "sing", "masc"})
        return masculine is None or masculine.word.replace("ё", "е") not in stops
    return True


def _lemma(parse) -> str:
    return parse.normal_form.replace("ё", "е")


def _agrees(adjective, noun) -> bool:
    a, n = adjective.tag, noun.tag
    if a.case != n.case or a.number != n.number:
        return False
    return a.number == "plur" or a.gender is None or n.gender is None or a.gender == n.gender


@lru_cache(maxsize=50_000)
def _nominative_noun(parse) -> str | None:
    number = parse.tag.number or "sing"
    return _inflect(parse, {"nomn", number})


def _nominative_adjective(parse, noun) -> str | None:
    return _nominative_adjective_for(parse, noun.tag.number or "sing", noun.tag.gender)


@lru_cache(maxsize=50_000)
def _nominative_adjective_for(parse, number, gender) -> str | None:
    if number == "plur":
        return _inflect(parse, {"nomn", "plur"})
    return _inflect(parse, {"nomn", "sing", gender or "masc"})


def _phrases_at(tokens: list[str], i: int, stops) -> list[tuple[tuple, str]]:
    """Noun phrases starting at ``tokens[i]``: ``(lemmas, nominative phrase)``."""
    parses = [_parse(t) if t != _NUMBER_MARK else None for t in tokens[i:i + 4]]
    parses += [None] * (4 - len(parses))
    p0, p1, p2, p3 = parses
    found = []
    is_adj = lambda p: p is not None and p.tag.POS in {"ADJF", "PRTF"} and _content(p, stops)
    is_noun = lambda p: p is not None and p.tag.POS == "NOUN" and _content(p, stops)
    is_gent = lambda p: is_noun(p) and "gent" in p.tag
    free = lambda p: p is not None  # not followed by a number
    if is_adj(p0) and is_noun(p1) and _agrees(p0, p1):
        adjective, noun = _nominative_adjective(p0, p1), _nominative_noun(p1)
        if adjective and noun:
            found.append(((_lemma(p0), _lemma(p1)), f"{adjective} {noun}"))
            if is_gent(p2) and free(p3):
                found.append(((_lemma(p0), _lemma(p1), _lemma(p2)),
                              f"{adjective} {noun} {p2.word}"))
        if is_adj(p1) and is_noun(p2) and _agrees(p0, p2) and _agrees(p1, p2):
            second, noun = _nominative_adjective(p1, p2), _nominative_noun(p2)
            adjective = _nominative_adjective(p0, p2)
            if adjective and second and noun:
                found.append(((_lemma(p0), _lemma(p1), _lemma(p2)),
                              f"{adjective} {second} {noun}"))
    if is_noun(p0) and p0.tag.case in {"nomn", "accs", "gent", "datv", "ablt", "loct"}:
        head = _nominative_noun(p0)
        if head and is_gent(p1) and free(p2) and _lemma(p1) != _lemma(p0):
            found.append(((_lemma(p0), _lemma(p1)), f"{head} {p1.word}"))
        if head and is_adj(p1) and "gent" in p1.tag and is_gent(p2) and _agrees(p1, p2) \
                and free(p3):
            found.append(((_lemma(p0), _lemma(p1), _lemma(p2)),
                          f"{head} {p1.word} {p2.word}"))
    return found


def phrase_title_candidates(key_lemmas: list[str], texts: list[str], n: int = 5) -> list[str]:
    """Titles from noun phrases that occur in the section's texts, best first.

    Every two- or three-word noun phrase seen in at least two texts (adjective + noun,
    noun + genitive, and their three-word forms) is put in the nominative with pymorphy3
    («в детской библиотеке» → «Детская библиотека») and scored by the number of texts it
    occurs in times the weight of its words among the section's key lemmas (a key lemma at
    rank r weighs 1 / (1 + r)); phrases without a key lemma are skipped.

    Parameters
    ----------
    key_lemmas : list of str
        Key lemmas in decreasing importance (c-TF-IDF order).
    texts : list of str
        Raw texts of the section (a sample is enough).
    n : int, default=5
        Number of candidates to return.

    Returns
    -------
    list of str
        Capitalised phrases, best first (possibly empty).
    """
    stops = stop_words("ru")
    weight = {}
    for rank, lemma in enumerate(key_lemmas):
        weight.setdefault(lemma, 1.0 / (1 + rank))
    documents, forms = Counter(), {}
    for text in texts:
        seen = set()
        for tokens in title_clauses(text):
            for i in range(len(tokens)):
                for lemmas, phrase in _phrases_at(tokens, i, stops):
                    if lemmas not in seen:
                        seen.add(lemmas)
                        documents[lemmas] += 1
                    forms.setdefault(lemmas, Counter())[phrase] += 1
    scored = []
    for lemmas, count in documents.items():
        key_weight = sum(weight.get(lemma, 0.0) for lemma in lemmas)
        if count < 2 or key_weight == 0 or all(lemma in GENERIC_NOUNS for lemma in lemmas):
            continue
        phrase = forms[lemmas].most_common(1)[0][0]
        score = count * key_weight * (1 + LONGER_PHRASE_BONUS * (len(lemmas) - 2))
        scored.append((-score, phrase))
    scored.sort()
    result = []
    for _, phrase in scored:
        phrase = phrase[:1].upper() + phrase[1:]
        if phrase not in result:
            result.append(phrase)
        if len(result) >= n:
            break
    return result


# --------------------------------------------------------------------------- key terms for people


def readable_term(term: str) -> str:
    """A lemma bigram as people write it: «пушкинский карта» → «пушкинская карта»,
    «участник проект» → «участник проекта». Unigrams and anything not understood stay as they are.

    Parameters
    ----------
    term : str
        A key term from :func:`class_tfidf_terms` (a lemma or two lemmas joined by a space).

    Returns
    -------
    str
    """
    words = term.split()
    if len(words) != 2 or not all(w.isalpha() for w in words):
        return term
    first, second = words
    head = _noun_parse(second)
    if head is not None:
        number = "plur" if head.tag.number == "plur" else "sing"
        adjective = _agreeing_adjective(first, head, number)
        if adjective and _parse(first).tag.POS in {"ADJF", "PRTF"}:
            return f"{adjective} {second}"
    if _noun_parse(first) is not None:
        complement = _noun_parse(second)
        if complement is not None:
            genitive = _inflect(complement, {"gent", "sing"})
            if genitive:
                return f"{first} {genitive}"
    return term
