"""The naming stage: titles, key terms, summaries, quotes, subtopics and cross-references.

:class:`SectionNamer` is the default ``namer`` of :class:`~analysis.pipeline.ProposalGrouper`.
It reads a documents DataFrame (one row per text, with its ``section``) and describes every
section for people:

* **Titles that cover their section.** Candidate phrases are the nouns and noun phrases of
  the section's texts (:mod:`analysis.phrases`). A phrase is scored *contrastively*: the share
  of the section's texts that contain all its lemmas minus that share in the rest of the
  track. The title is the best phrase that at least half of the section's texts share a content
  lemma with; where no phrase covers half, a mixture of two or three phrases that together do
  («Транспорт; дороги и остановки»), and where the best phrase covers exactly half (one of
  two texts), a mixture that covers more; else a mixture of the phrases of its two or three
  subtopics; only then is it split, into halves of which one can be named. A phrase made
  only of generic words («Область», «Описание проекта», :func:`~analysis.phrases.is_generic`)
  is never a title, and coverage counts the title's telling words only («Доступная
  библиотека» covers the texts about access, not every text that mentions a library). A
  phrase counts for a section where its lemmas occur (German: also as parts of compounds),
  not only where it is written whole. A section that nothing covers, or of fewer than
  ``MIN_SECTION_SIZE`` texts in a track of at least ``MIN_GROUP_FOR_OTHER``, goes to
  «Прочее» with the reason.
* **The count the clusterer chose is kept where the texts allow.** The texts bound for
  «Прочее» are pooled and cut anew (fixed seed): parts that can be named come back as
  sections; then a named section whose own title does not hold for both of its halves may be
  split, until the track has as many named sections as the clusterer made. Where splits of
  sections no title covered made more (``hold_count``: when the clusterer chose the count),
  the two closest named sections that one title covers together are merged until the count
  is the clusterer's again. Cuts use ``PARTS_SEED``, not ``random_state``: what the namer
  decides depends on the texts.
* **No near-synonym titles in a track.** Two titles with the same head noun and the same
  complements («Бродячие собаки» / «Безнадзорные собаки»), or of which one's content lemmas
  are all in the other («Мусор» / «Свалка мусора»), say the same thing: the smaller section
  takes its best phrase that differs, or, if none covers it, joins the bigger one.
* **Key terms**: the section's best phrases by the same score — nominative noun phrases,
  abbreviations in capitals, no verbs or bare adjectives.
* **Summary**: two or three sentences in the third person built from what the texts share
  (key phrases with the number of texts that mention them), then one or two representative
  quotes given as data (``quote_ids``, ``quotes``: id and text) for the app to show with
  their authors.
* **Subtopics** for sections of more than ``SUBTOPIC_MIN_SIZE`` texts (KMeans inside the
  section, each part titled contrastively against the rest of the section), and ``see_also``
  for texts that fit another section of the track about as well as their own.

Locked sections and sections matched to a previous run (``fixed_titles``) keep their titles
and members.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.preprocessing import normalize

from .phrases import (Phrase, adjective_stems, is_generic, most_frequent_forms, telling_lemmas,
                      text_terms)
from .representation import MIN_GROUP_FOR_OTHER, OTHER_TITLE, centroid_similarity
from .text import COMPOUND_LANGUAGES, COMPOUND_MIN_PART, compound_parts, detect_language

#: Columns the namer needs in its documents frame (the pipeline's prepared texts).
DOCUMENT_COLUMNS = ("id", "text", "votes", "group", "language", "section", "is_other")
#: Share of a section's texts that must contain a content lemma of its title.
MIN_TITLE_COVERAGE = 0.5
#: At most this many phrases in a mixture title («Транспорт; дороги и остановки»).
MAX_MIXTURE_PARTS = 3
#: Further phrases of a mixture must score at least this share of the first: a word found
#: everywhere («улица», «город») adds coverage but says nothing about the section.
MIXTURE_MIN_SHARE = 0.25
#: A longer phrase wins over the best one when it scores at least this share of it: it says
#: more («Освещение дворов» over «Освещение») and still stands for the section.
LONGER_TITLE_SHARE = 0.75
#: A phrase must occur in this many texts of a section to name it or be a key term.
MIN_PHRASE_TEXTS = 2
#: Sections smaller than this go to «Прочее» in tracks of at least MIN_GROUP_FOR_OTHER
#: texts: one or two proposals are not a section of a strategy. Smaller tracks keep them.
MIN_SECTION_SIZE = 3
#: A section no phrase covers is first named as a mixture of its subtopics: KMeans into 2,
#: then 3 parts, each part named by its own phrase (covering half of the part), the title
#: covering what its parts cover together («Транспорт; дороги и остановки»). Only where no
#: such mixture covers half is the section split in two (at most MAX_SPLITS times along one
#: line), and only when both halves have at least MIN_SECTION_SIZE texts and one of them can
#: be named (at once or after further splits); otherwise it goes to «Прочее». Splitting
#: first cut short German tracks into pieces too small to name (44-58% of a 73-text track
#: in «Прочее», mostly "incoherent").
MIXTURE_SUBTOPICS = (2, 3)
SPLIT_MIN_SIZE = 2 * MIN_SECTION_SIZE
MAX_SPLITS = 3
#: The seed of the KMeans that cuts a section into parts (splits, subtopic mixtures, the
#: count kept below): what the namer splits depends on the texts, never on the caller's
#: ``random_state`` (with it, the number of sections varied by 3 across seeds on German
#: tenths while the clusterer's own k did not vary at all).
PARTS_SEED = 0
#: A section of at least this many texts may give back a lost place even where its title
#: holds for both halves (it has subtopics of its own, see SUBTOPIC_MIN_SIZE).
GIVE_BACK_MIN_SIZE = 2 * SPLIT_MIN_SIZE
#: Texts of a section read for phrases: phrases that matter recur within a few hundred
#: texts, and reading all of a 10,000-text section would be slow.
SECTION_SAMPLE = 200
#: Sections above this size get one level of subtopics, at most MAX_SUBTOPICS of them.
SUBTOPIC_MIN_SIZE = 12
MAX_SUBTOPICS = 4
#: sqrt(size / this) subtopics: 13 texts make 2, 54 make 3, 96 and more make 4.
TEXTS_PER_SUBTOPIC = 6
#: A text fits a second section "about as well" when its similarity to that section's centre
#: is at least this share of the similarity to its own (centres of big sections sit farther
#: from every member, so an equal similarity is too strict) and it shares a content lemma
#: with that section's title, so that the cross-reference is visible to the reader.
SEE_ALSO_SHARE = 0.8
#: Key terms per section and representatives shown; quotes in the summary; quote length.
N_KEY_TERMS = 8
N_REPRESENTATIVES = 3
N_QUOTES = 2
QUOTE_MIN_CHARS = 20
QUOTE_MAX_CHARS = 300
#: Subtopic label when none of its phrases stands out from the rest of the section.
SUBTOPIC_FALLBACK = "Разное"
#: Title used when no candidate phrase exists but the section is kept (a fixed small track).
NAMELESS_TITLE = "Раздел"
#: Why texts moved to «Прочее» at naming (the ``reason`` column).
REASON_TOO_SMALL = "слишком маленький раздел: меньше трёх предложений"
REASON_INCOHERENT = ("разнородный раздел: ни одно название, ни смесь названий его подтем не "
                     "подходит и половине его текстов")


@dataclass
class Title:
    """A chosen title: its phrases (one, or a mixture) and the share of texts it covers."""

    parts: list
    coverage: float

    @property
    def text(self) -> str:
        first, rest = self.parts[0].text, [p.text for p in self.parts[1:]]
        title = _capitalised(first)
        if rest:
            tail = [_lowered(t) for t in rest]
            # «Транспорт; дороги и остановки»; Latin-script titles take no Russian «и»
            joiner = " и " if re.search(r"[а-яё]", tail[-1], re.IGNORECASE) else ", "
            title += "; " + (", ".join(tail[:-1]) + joiner + tail[-1] if len(tail) > 1
                             else tail[0])
        return title


def near_synonyms(a: Phrase, b: Phrase) -> bool:
    """Whether two phrases say the same thing in other words.

    Same head noun and the same complements: «Бродячие собаки» / «Безнадзорные собаки»,
    «Собаки» / «Бездомные собаки» are; «Ремонт дорог» / «Ремонт подъездов» are not. So are
    two phrases of which one's content lemmas (:func:`~analysis.phrases.telling_lemmas`) are
    all in the other, whatever their heads: «Мусор» / «Свалка мусора», «Дороги» / «Ремонт
    дорог» — side by side in one track, readers cannot tell such sections apart.
    """
    if set(a.key) == set(b.key) or a.text.lower() == b.text.lower():
        return True
    if a.head == b.head and set(a.complements) == set(b.complements):
        return True
    first, second = set(telling_lemmas(a)), set(telling_lemmas(b))
    return bool(first) and bool(second) and (first <= second or second <= first)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lowered(text: str) -> str:
    """Lower-case first letter, unless the word is written so on purpose (ЦОД, ЛитРес, nouns
    of German)."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and (first.isupper() or re.search(r"\w[A-ZА-ЯЁ]", first)):
        return text
    if re.match(r"[A-ZÄÖÜ]", first):  # Latin-script words keep their case (German nouns)
        return text
    return text[:1].lower() + text[1:]


# --------------------------------------------------------------------------- the index


class _GroupIndex:
    """Content lemmas and phrases of a track's (sampled) texts, for contrastive scores."""

    def __init__(self, terms: list, section_of: list, forms: dict | None = None,
                 compounds: bool = False):
        self.terms = terms
        self.section_of = list(section_of)
        self.postings: dict = {}
        for position, text_terms_ in enumerate(terms):
            for lemma in text_terms_.lemmas:
                self.postings.setdefault(lemma, set()).add(position)
        if compounds:
            self._add_compound_parts()
        # the display form of each phrase; the track's forms serve its sections and subtopics
        self.forms = forms if forms is not None else most_frequent_forms(t.phrases
                                                                          for t in terms)
        # German words mostly written in lower case are adjectives or verbs («Neu»)
        self.not_nouns = adjective_stems(terms)
        self._all_cache: dict = {}

    def _add_compound_parts(self) -> None:
        """A German text with «Solarenergie» also contains «Energie» (for coverage and
        contrast; the phrases themselves stay whole): without this, the title «Energie»
        covers few texts of an energy section and short German tracks went mostly to
        «Прочее» as "incoherent" (40–61 of 73 texts)."""
        vocabulary = frozenset(lemma for lemma in self.postings if len(lemma) >= COMPOUND_MIN_PART)
        for lemma, having in list(self.postings.items()):
            for part in compound_parts(lemma, vocabulary):
                self.postings[part] = self.postings[part] | having

    def members(self, section) -> set:
        return {i for i, s in enumerate(self.section_of) if s == section}

    def with_all(self, key) -> set:
        if key not in self._all_cache:
            sets = [self.postings.get(lemma, set()) for lemma in key]
            self._all_cache[key] = set.intersection(*sets) if sets else set()
        return self._all_cache[key]

    def with_any(self, lemmas) -> set:
        found: set = set()
        for lemma in lemmas:
            found |= self.postings.get(lemma, set())
        return found

    def candidates(self, members: set, within: set | None = None) -> list:
        """``(score, phrase, in_count, position)`` of the phrases of ``members``, best first.

        ``within``: the texts to contrast with (default: the whole track). ``position``: how
        early the phrase comes in the texts that have it (0 first .. 1 last, on average):
        of equally good phrases the earlier one wins, since texts (and proposals, which
        begin with their title) say what they are about first; a tie broken by the
        alphabet named a one-text section after whatever phrase sorts first."""
        universe = within if within is not None else set(range(len(self.terms)))
        rest = len(universe) - len(members)
        counts: dict = {}
        positions: dict = {}
        for i in members:
            phrases = self.terms[i].phrases
            n = max(len(phrases) - 1, 1)
            for rank, key in enumerate(phrases):
                counts[key] = counts.get(key, 0) + 1
                positions[key] = positions.get(key, 0.0) + rank / n
        minimum = MIN_PHRASE_TEXTS if len(members) > MIN_PHRASE_TEXTS else 1
        scored = []
        for key, count in counts.items():
            if len(key) == 1 and key[0] in self.not_nouns:
                continue  # no bare adjective as a title or key term
            having = self.with_all(key) & universe
            inside = len(having & members)
            # texts that contain the phrase's lemmas, also as parts of compounds: a German
            # section says «Solarenergie», «Windenergie» and once «Energie»
            if inside < minimum:
                continue
            score = inside / len(members) - (len(having) - inside) / max(rest, 1)
            if score > 0:
                scored.append((score, self.forms[key], inside, positions[key] / count))
        scored.sort(key=lambda item: (-item[0], -item[2], item[3], item[1].text))
        return scored

    def coverage(self, parts, members: set) -> float:
        lemmas = {lemma for part in parts for lemma in telling_lemmas(part)}
        return len(self.with_any(lemmas) & members) / max(len(members), 1)


def _preferred(candidates: list) -> list:
    """Candidates in the order titles try them: a longer phrase moves before the best one
    when it scores at least ``LONGER_TITLE_SHARE`` of it."""
    if not candidates:
        return []
    best = candidates[0][0]
    close = [c for c in candidates if c[0] >= LONGER_TITLE_SHARE * best]
    close.sort(key=lambda c: (-len(c[1].key), -c[0], c[3], c[1].text))
    return close + [c for c in candidates if c[0] < LONGER_TITLE_SHARE * best]


def choose_title(index: _GroupIndex, members: set, taken=(), within=None,
                 partial: bool = False) -> Title | None:
    """The best title of ``members`` that is no near-synonym of a ``taken`` phrase and not
    made of generic words only («Область», «Описание проекта»), or ``None`` when no phrase
    or mixture of phrases covers half of the texts (``partial``: the best mixture even so,
    for tracks too small to have «Прочее»)."""
    candidates = [c for c in _preferred(index.candidates(members, within))
                  if not is_generic(c[1])
                  and not any(near_synonyms(c[1], other) for other in taken)]
    for _, phrase, _, _ in candidates:
        coverage = index.coverage([phrase], members)
        if coverage > MIN_TITLE_COVERAGE:
            return Title([_fuller(index, members, phrase, candidates, coverage)], coverage)
        if coverage == MIN_TITLE_COVERAGE:
            # a phrase of exactly half the texts says as much as it leaves out (a two-text
            # section: one of them): a mixture that covers more is the honest title
            mixture = _mixture(index, members, candidates, phrase, 1.0)
            return mixture if mixture.coverage > coverage else Title([phrase], coverage)
    if not candidates:
        return None
    title = _mixture(index, members, candidates, candidates[0][1], MIN_TITLE_COVERAGE)
    return title if title.coverage >= MIN_TITLE_COVERAGE or partial else None


def _fuller(index: _GroupIndex, members: set, phrase: Phrase, candidates: list,
            coverage: float) -> Phrase:
    """A one-word title's best noun phrase of two or more words that contains it and that
    covers the section about as well *as a whole* (its lemmas all in at least half of the
    texts and in ``LONGER_TITLE_SHARE`` of those the word covers): «Школьная библиотека»
    over «Школа», where most of the texts say both. A bare word says little of a small
    section; the phrase says what about it."""
    if len(phrase.key) > 1:
        return phrase
    need = max(MIN_TITLE_COVERAGE, LONGER_TITLE_SHARE * coverage) * len(members)
    best, best_count = phrase, 0
    for _, longer, _, _ in candidates:
        if len(longer.key) < 2 or not set(phrase.key) <= set(longer.key):
            continue
        count = len(index.with_all(longer.key) & members)
        if count >= need and count > best_count:
            best, best_count = longer, count
    return best


def _mixture(index: _GroupIndex, members: set, candidates: list, first: Phrase,
             target: float) -> Title:
    """``first`` and up to two more phrases, each the one that covers most texts not yet
    covered, until ``target`` of the texts are covered."""
    parts = [first]
    best_score = next(c[0] for c in candidates if c[1] == first)
    floor = MIXTURE_MIN_SHARE * best_score
    candidates = [c for c in candidates if c[0] >= floor]
    covered = index.with_any(telling_lemmas(first)) & members
    while len(covered) < target * len(members) and len(parts) < MAX_MIXTURE_PARTS:
        best, gain = None, 0
        for _, phrase, _, _ in candidates:
            if any(near_synonyms(phrase, part) or phrase.head == part.head for part in parts):
                continue
            new = len((index.with_any(telling_lemmas(phrase)) & members) - covered)
            if new > gain:
                best, gain = phrase, new
        if best is None:
            break
        parts.append(best)
        covered |= index.with_any(telling_lemmas(best)) & members
    return Title(parts, len(covered) / max(len(members), 1))


def _subtopic_phrase(index: _GroupIndex, subset: set, members: set, taken) -> Phrase | None:
    """The best phrase of a subtopic of a section (contrasted with the whole track) found in
    at least MIN_PHRASE_TEXTS texts of the subtopic, and neither a near-synonym nor of the
    same head as a ``taken`` phrase. It need not cover half of its subtopic: the mixture
    title must cover half of the section."""
    for _, phrase, inside, _ in _preferred(index.candidates(subset)):
        if is_generic(phrase) or any(near_synonyms(phrase, other) or phrase.head == other.head
                                     for other in taken):
            continue
        if inside >= MIN_PHRASE_TEXTS:
            return phrase
    return None


def key_terms_of(index: _GroupIndex, members: set, n_terms: int = N_KEY_TERMS,
                 within=None) -> list[str]:
    """Key phrases of a section, best first (nominative; abbreviations in capitals), none a
    near-synonym of a better one: «ЦОД» after «перезапуск ЦОДов», or «читатели» after «сельские
    читатели», would repeat it."""
    chosen = []
    for _, phrase, _, _ in index.candidates(members, within):
        if is_generic(phrase):  # «область», «описание проекта»: in any section
            continue
        if not any(near_synonyms(phrase, other) for other in chosen):
            chosen.append(phrase)
        if len(chosen) >= n_terms:
            break
    return [phrase.text for phrase in chosen]


# --------------------------------------------------------------------------- summaries


def count_word(n: int, one: str, few: str, many: str) -> str:
    """«1 предложение», «3 предложения», «5 предложений»."""
    n = int(n)
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} {one}"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} {few}"
    return f"{n} {many}"


def proposals(n: int) -> str:
    return count_word(n, "предложение", "предложения", "предложений")


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " и " + items[-1]


def compose_summary(title: str, size: int, mentions: list[tuple[str, int]],
                    subtopics: list[str] = ()) -> str:
    """Two or three third-person sentences about a section, saying what the heading, the key
    terms and the list of subtopics around it do not: how many proposals there are and how
    many of them mention each shared theme.

    Parameters
    ----------
    title : str
        The section's title; the heading shows it, so it is not repeated here (and a summary
        that quoted it went stale when people renamed or split the section).
    size : int
        Texts in the section.
    mentions : list of (phrase, count)
        Key phrases with the number of texts that mention them, most mentioned first.
    subtopics : list of str
        Titles of the section's subtopics, if any: the document lists them right after the
        summary, so it says only how many there are.
    """
    one = size % 10 == 1 and size % 100 != 11
    where = f"{size} {'предложении' if one else 'предложениях'}"
    sentences = [f"Участники предлагают меры в {where}."]
    shown = [(phrase, count) for phrase, count in mentions if count > 0][:3]
    if shown:
        # «(1 из 1)» says nothing: counts only where there is more than one text
        listed = _listed([_lowered(phrase) + (f" ({count} из {size})" if size > 1 else "")
                          for phrase, count in shown])
        them = "нём" if size == 1 else "них"
        sentences.append(f"Чаще всего в {them} речь идёт о таких темах: {listed}.")
    if subtopics:
        parts = count_word(len(subtopics), "подтему", "подтемы", "подтем")
        sentences.append(f"Предложения делятся на {parts}, перечисленные ниже.")
    return " ".join(sentences)


def summarize_texts(texts, subtopics: list[str] = ()) -> str:
    """The summary of :func:`compose_summary` for a section given only its texts (after a
    person moved, merged or split sections, when the grouping's own summary no longer holds):
    the phrases most of them mention, with their counts. No contrast with the rest of the
    track: the caller has the members only.

    Parameters
    ----------
    texts : list of str
        The section's current members.
    subtopics : list of str
        Titles of its subtopics, if any.
    """
    texts = [str(t) for t in texts]
    if not texts:
        return ""
    languages = [detect_language(t.lower()) for t in texts]
    terms = [text_terms(t, language) for t, language in zip(texts, languages)]
    compounds = float(np.isin(languages, COMPOUND_LANGUAGES).mean()) >= 0.5
    index = _GroupIndex(terms, [0] * len(terms), compounds=compounds)
    members = set(range(len(terms)))
    # against no rest, every phrase of two texts scores its share: the most mentioned first
    return compose_summary("", len(texts), _mentions(index.candidates(members, members)),
                           list(subtopics))


def compose_other_summary(size: int, reasons: Counter) -> str:
    """What «Прочее» holds and why."""
    summary = (f"Сюда отнесены {proposals(size)}, которые не вошли в другие разделы"
               if size != 1 else "Сюда отнесено 1 предложение, которое не вошло в другие разделы")
    if reasons:
        listed = ", ".join(f"{why} ({n})" for why, n in reasons.most_common())
        summary += f": {listed}"
    return summary + "."


def _mentions(candidates: list, n: int = 3) -> list[tuple[str, int]]:
    """The ``n`` phrases most texts mention, with their counts: no generic phrase, and no
    phrase inside another one shown («карта» beside «пушкинская карта»)."""
    chosen: list = []
    for _, phrase, inside, _ in sorted(candidates, key=lambda c: (-c[2], -len(c[1].key))):
        if is_generic(phrase) or any(set(phrase.key) <= set(other.key) for other, _ in chosen):
            continue
        chosen.append((phrase, inside))
        if len(chosen) >= n:
            break
    return [(phrase.text, inside) for phrase, inside in chosen]


def quote_text(text: str, max_chars: int = QUOTE_MAX_CHARS) -> str:
    """A text as a quote: whole sentences up to ``max_chars``, else cut at a word with «…»."""
    text = " ".join(str(text).split())
    if len(text) <= max_chars:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    quote = ""
    for sentence in sentences:
        if len(quote) + len(sentence) + 1 > max_chars:
            break
        quote = f"{quote} {sentence}".strip()
    if quote:
        return quote
    return text[:max_chars].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# --------------------------------------------------------------------------- the namer


@dataclass
class _Section:
    section: object
    group: str
    members: np.ndarray  # row positions in the documents frame
    is_other: bool
    fixed_title: str = ""
    title: Title | None = None
    reason: str = ""
    merged_into: object = None
    splits: int = 0


class SectionNamer(BaseEstimator):
    """Describe sections: titles, key terms, summary, quotes, subtopics, see-also, ranks.

    Parameters
    ----------
    n_key_terms : int, default=8
    n_representatives : int, default=3
    random_state : int, default=0
        Seed of the samples read for phrases and of the subtopic KMeans.
    hold_count : bool, default=True
        Whether sections split for their titles are merged back down to the count the
        clusterer made (:meth:`_merge_to_count`). The pipeline holds it where it chose that
        count from the texts, not where the caller gave k: there a split that names two
        topics apart is the better draft (and scores higher on held-out halves).

    Attributes
    ----------
    sections_ : DataFrame
        One row per section, in display order (by group, «Прочее» last, then by size):
        ``section, group, title, key_terms, size, representative_ids, votes_total, is_other,
        coverage, summary, quote_ids, quotes, subtopics, reason`` and ``members_`` (row
        positions in the documents frame).
    documents_ : DataFrame
        One row per document, in input order: ``section, reason, is_other, section_title,
        is_representative, rank_in_section, score, see_also``. ``section`` may differ from
        the input: sections that cannot be named go to «Прочее», near-synonym sections merge.
    log_ : list of str
        What the namer changed and why (Russian).
    """

    def __init__(self, n_key_terms=N_KEY_TERMS, n_representatives=N_REPRESENTATIVES,
                 random_state=0, hold_count=True):
        self.n_key_terms = n_key_terms
        self.n_representatives = n_representatives
        self.random_state = random_state
        self.hold_count = hold_count

    def fit(self, documents: pd.DataFrame, y=None, *, vectors=None, fixed_titles=None,
            first_free_id=1):
        """Describe the sections of ``documents``.

        Parameters
        ----------
        documents : DataFrame
            Columns of :data:`DOCUMENT_COLUMNS` (``reason`` optional), one row per text.
        y : ignored
        vectors : ndarray of shape (n, d), optional
            Unit-length document vectors (representatives, scores, subtopics, see-also).
        fixed_titles : dict, optional
            ``{section: title}`` kept as they are, with their members (locked sections and
            sections matched to a previous run).
        first_free_id : int, default=1
            Lowest id a new «Прочее» may take (the pipeline passes one above every id of the
            previous run, so that an old id never comes back with another meaning).

        Returns
        -------
        self
        """
        missing = [c for c in DOCUMENT_COLUMNS if c not in documents.columns]
        if missing:
            raise ValueError(f"documents lack columns: {', '.join(missing)}")
        documents = documents.reset_index(drop=True)
        fixed_titles = {s: t for s, t in (fixed_titles or {}).items() if t}
        self.log_ = []
        self.first_free_id_ = int(first_free_id)
        self._forms: dict = {}  # group -> display forms of its phrases
        section = documents["section"].to_numpy(dtype=object).copy()
        is_other = documents["is_other"].to_numpy(dtype=bool).copy()
        reason = (documents["reason"].fillna("").astype(str).to_numpy(dtype=object).copy()
                  if "reason" in documents.columns else np.array([""] * len(documents),
                                                                  dtype=object))
        self._languages = (documents["language"].to_numpy() if "language" in documents.columns
                           else None)
        terms = self._terms(documents)
        records = []
        for group in pd.unique(documents["group"]):
            rows = np.flatnonzero((documents["group"] == group).to_numpy())
            records.extend(self._name_group(documents, rows, terms, section, is_other, reason,
                                            fixed_titles, vectors))
        records = self._describe(documents, vectors, terms, records, section, is_other, reason)
        sections = _display_order(pd.DataFrame(records))
        self.sections_, ranked = self._rank(documents, vectors, sections)
        see_also = self._see_also(documents, vectors, section, is_other, terms)
        self.documents_ = pd.DataFrame({
            "section": section, "reason": reason, "is_other": is_other,
            **{c: ranked[c].to_numpy() for c in ranked.columns}, "see_also": see_also,
        })
        return self

    # ----------------------------------------------------------------- reading the texts

    def _terms(self, documents: pd.DataFrame) -> dict:
        """Terms of a seeded sample of every section's texts: ``{row: TextTerms}``."""
        rng = np.random.default_rng(self.random_state)
        chosen = []
        for _, rows in documents.groupby(documents["section"].map(str), sort=True).indices.items():
            if len(rows) > SECTION_SAMPLE:
                rows = np.sort(rng.choice(rows, SECTION_SAMPLE, replace=False))
            chosen.extend(rows.tolist())
        cache: dict = {}
        terms = {}
        texts, languages = documents["text"].tolist(), documents["language"].tolist()
        for row in sorted(chosen):
            key = (texts[row], languages[row])
            if key not in cache:
                cache[key] = text_terms(*key)
            terms[row] = cache[key]
        return terms

    def _compounding(self, rows) -> bool:
        """Whether most of these texts are in a language that writes compounds (German)."""
        languages = getattr(self, "_languages", None)
        if languages is None or not len(rows):
            return False
        return bool(np.isin(languages[list(rows)], COMPOUND_LANGUAGES).mean() >= 0.5)

    def _index(self, rows, terms, section) -> tuple[_GroupIndex, list]:
        sampled = [r for r in rows if r in terms]
        group_key = (len(rows), int(rows[0]) if len(rows) else -1)
        if group_key not in self._forms:
            self._forms[group_key] = most_frequent_forms(terms[r].phrases for r in sampled)
        index = _GroupIndex([terms[r] for r in sampled], [section[r] for r in sampled],
                            self._forms[group_key], compounds=self._compounding(sampled))
        return index, sampled

    # ----------------------------------------------------------------- titles

    def _name_group(self, documents, rows, terms, section, is_other, reason, fixed_titles,
                    vectors):
        group = documents["group"].iat[rows[0]]
        by_section: dict = {}
        for row in rows:
            by_section.setdefault(section[row], []).append(row)
        sections = [_Section(s, group, np.array(members), bool(is_other[members[0]]),
                             fixed_titles.get(s, ""))
                    for s, members in by_section.items()]
        index, sampled = self._index(rows, terms, section)
        position_of = {row: i for i, row in enumerate(sampled)}
        taken: list = []  # (phrase, section) of titles already given in this track
        for item in sections:
            if item.fixed_title:
                fixed = text_terms(item.fixed_title).phrases.values()
                taken.extend((p, item.section) for p in fixed if len(p.key) == max(
                    len(q.key) for q in fixed))
        queue = sorted((s for s in sections if not s.is_other and not s.fixed_title),
                       key=lambda s: (-len(s.members), str(s.section)))
        target = sum(not s.is_other for s in sections)  # the clusterer's count
        while queue:
            item = queue.pop(0)
            members = {position_of[r] for r in item.members if r in position_of}
            if len(item.members) < MIN_SECTION_SIZE and len(rows) >= MIN_GROUP_FOR_OTHER:
                item.reason = REASON_TOO_SMALL
                continue
            title = choose_title(index, members, [p for p, _ in taken])
            if title is None and choose_title(index, members) is None:
                title = self._subtopic_mixture(index, item.members, position_of, vectors,
                                               [p for p, _ in taken])
            if title is None and choose_title(index, members) is None:
                parts = self._split(item, vectors, section, index, position_of)
                if parts:  # a mixed section is split, and each part is named on its own
                    sections.extend(parts[1:])
                    queue = sorted(queue + parts, key=lambda s: (-len(s.members),
                                                                 str(s.section)))
                    index, sampled = self._index(rows, terms, section)
                    position_of = {row: i for i, row in enumerate(sampled)}
                    continue
            if title is None:
                unfiltered = choose_title(index, members)
                twin = next((s for p, s in taken if unfiltered is not None
                             and near_synonyms(unfiltered.parts[0], p)), None)
                if twin is not None and twin not in fixed_titles:
                    item.merged_into = twin
                    continue
                if unfiltered is not None:
                    title = unfiltered  # only a locked section says the same: keep it
                elif len(rows) >= MIN_GROUP_FOR_OTHER:
                    item.reason = REASON_INCOHERENT
                    continue
                else:  # a small track keeps its sections: name it by what it mixes
                    title = choose_title(index, members, [p for p, _ in taken], partial=True)
            item.title = title
            if title is not None:
                taken.extend((part, item.section) for part in title.parts[:1])
        self._keep_count(sections, section, rows, terms, vectors, target, taken)
        if getattr(self, "hold_count", True):
            self._merge_to_count(sections, section, rows, terms, vectors, target, taken)
        self._apply_moves(documents, sections, section, is_other, reason)
        return [s for s in sections if s.merged_into is None and not s.reason]

    def _regroup_moved(self, sections, section, rows, terms, vectors, lost, taken) -> bool:
        """Group the texts of the sections bound for «Прочее» anew: cut together (a fixed
        seed), the leftovers of several mixed sections often share a topic that none of
        those sections had a majority of. Of the cuts into 1 .. ``lost`` + 1 parts, the one
        with the most parts that can be named (at least MIN_SECTION_SIZE texts, a title
        unlike the track's others) gives those parts back as sections, at most ``lost``.
        Returns whether it gave any back."""
        moved = [s for s in sections if s.reason and not s.is_other]
        if lost <= 0 or not moved or vectors is None:
            return False
        pool = np.sort(np.concatenate([s.members for s in moved]))
        index, sampled = self._index(rows, terms, section)
        position_of = {row: i for i, row in enumerate(sampled)}
        others = [p for p, _ in taken]
        best: list = []
        for n_parts in range(1, lost + 2):
            parts = [pool] if n_parts == 1 else self._parts_of(pool, vectors, n_parts)
            found = []
            for part in parts:
                if len(part) < MIN_SECTION_SIZE:
                    continue
                members = {position_of[r] for r in part if r in position_of}
                title = choose_title(index, members, others + [t.parts[0] for _, t in found])
                if title is not None:
                    found.append((part, title))
            if len(found) > len(best):
                best = found[:lost]
        for part, title in best:
            new_id = max(self.first_free_id_, _free_id(section))
            self.first_free_id_ = new_id + 1
            section[part] = new_id
            sections.append(_Section(new_id, moved[0].group, part, False, title=title))
            taken.append((title.parts[0], new_id))
            for item in moved:
                item.members = np.setdiff1d(item.members, part)
            self.log_.append(f"Из текстов без общего названия собран раздел «{title.text}» "
                             f"({proposals(len(part))}).")
        for item in moved:
            if not len(item.members):
                sections.remove(item)
        return bool(best)

    def _keep_count(self, sections, section, rows, terms, vectors, target, taken) -> None:
        """Give back the places of the sections that went to «Прочее» or merged: while the
        track has fewer named sections than the clusterer made (``target``), the biggest
        named section that splits into two nameable halves of at least MIN_SECTION_SIZE texts
        each, with titles unlike the track's others, is split, where its own title does not
        hold for one of the halves (two topics under one name, not one topic cut in two).

        Which small or mixed sections fail to be named depends on the clusterer's seed; the
        number of sections it chose does not: without this step that number varied by 2–4
        across seeds on German tenths. A section given back this way is one the texts
        support (both halves have their own title), not a fragment.
        """
        def named():
            return [s for s in sections if not s.is_other and s.merged_into is None
                    and not s.reason and (s.title is not None or s.fixed_title)]

        while self._regroup_moved(sections, section, rows, terms, vectors,
                                  target - len(named()), taken):
            pass  # what is left may again share a topic once the named parts are out
        tried: set = set()
        while len(named()) < target:
            index, sampled = self._index(rows, terms, section)
            position_of = {row: i for i, row in enumerate(sampled)}
            candidates = sorted((s for s in named() if not s.fixed_title
                                 and len(s.members) >= SPLIT_MIN_SIZE
                                 and s.section not in tried),
                                key=lambda s: (-len(s.members), str(s.section)))
            if not candidates:
                return
            item = candidates[0]
            tried.add(item.section)
            others = [p for p, owner in taken if owner != item.section]
            halves = self._parts_of(item.members, vectors, 2)
            if not halves or any(len(half) < MIN_SECTION_SIZE for half in halves):
                continue
            parts = [{position_of[r] for r in half if r in position_of} for half in halves]
            if len(item.members) < GIVE_BACK_MIN_SIZE and item.title is not None and any(
                    all(index.coverage([phrase], members) >= MIN_TITLE_COVERAGE
                        for members in parts) for phrase in item.title.parts):
                # a phrase of its title holds for both halves: one topic, not two (a mixture
                # whose phrases each hold for one half names two topics)
                continue
            titles = []
            for members in parts:
                title = choose_title(index, members, others + [t.parts[0] for t in titles])
                if title is None:
                    break
                titles.append(title)
            if len(titles) < 2:
                continue
            new_id = max(self.first_free_id_, _free_id(section))
            self.first_free_id_ = new_id + 1
            section[halves[1]] = new_id
            item.members, item.title = halves[0], titles[0]
            other = _Section(new_id, item.group, halves[1], False, title=titles[1],
                             splits=item.splits + 1)
            sections.append(other)
            taken[:] = [(p, owner) for p, owner in taken if owner != item.section]
            taken.extend([(titles[0].parts[0], item.section), (titles[1].parts[0], new_id)])
            tried.discard(item.section)
            self.log_.append(f"Раздел из {proposals(len(halves[0]) + len(halves[1]))} разделён "
                             f"на «{titles[0].text}» и «{titles[1].text}»: столько разделов "
                             f"выбрано по текстам, а часть их ушла в «{OTHER_TITLE}».")

    def _merge_to_count(self, sections, section, rows, terms, vectors, target, taken) -> None:
        """Take back the places the namer added: while the track has more named sections than
        the clusterer made (``target``; splits of sections no title covered add them), the
        two closest named sections (cosine of their centres) that a title covers together
        become one: the best title of their union, else the mixture of their two titles
        where it covers half of the union («Wasser; Boden»).

        The splits depend on which sections the clusterer's seed left mixed, the count the
        clusterer chose does not: without this step the named count of German halves
        exceeded the chosen 15 by 1 to 7, differently for every seed.
        """
        if vectors is None:
            return
        merge_targets = {s.merged_into for s in sections if s.merged_into is not None}

        def free():
            return [s for s in sections if not s.is_other and s.merged_into is None
                    and not s.reason and s.title is not None and not s.fixed_title
                    and s.section not in merge_targets]

        def named_count():
            return sum(1 for s in sections if not s.is_other and s.merged_into is None
                       and not s.reason and (s.title is not None or s.fixed_title))

        index, sampled = self._index(rows, terms, section)
        position_of = {row: i for i, row in enumerate(sampled)}
        while named_count() > target:
            items = free()
            if len(items) < 2:
                return
            centres = normalize(np.vstack([vectors[s.members].mean(axis=0) for s in items]))
            similarity = centres @ centres.T
            pairs = sorted(((float(similarity[i, j]), i, j) for i in range(len(items))
                            for j in range(i + 1, len(items))), key=lambda p: -p[0])
            for _, i, j in pairs:
                first, second = sorted((items[i], items[j]),
                                       key=lambda s: (-len(s.members), str(s.section)))
                title = self._union_title(index, position_of, first, second, taken)
                if title is None:
                    continue
                union = np.sort(np.concatenate([first.members, second.members]))
                section[second.members] = first.section
                self.log_.append(f"Разделы «{first.title.text}» и «{second.title.text}» "
                                 f"объединены в «{title.text}» ({proposals(len(union))}): "
                                 f"столько разделов выбрано по текстам.")
                first.members, first.title = union, title
                sections.remove(second)
                owners = {first.section, second.section}
                taken[:] = [(p, owner) for p, owner in taken if owner not in owners]
                taken.append((title.parts[0], first.section))
                break
            else:
                return

    def _union_title(self, index, position_of, first, second, taken) -> Title | None:
        """The title of two sections taken together: of the best phrase of their union that
        no other section of the track has and the mixture of their own two titles
        («Дорога; фонари»), the one that covers more of the union, if it covers half;
        ``None`` when neither does."""
        owners = {first.section, second.section}
        others = [p for p, owner in taken if owner not in owners]
        members = {position_of[r] for r in np.concatenate([first.members, second.members])
                   if r in position_of}
        titles = [choose_title(index, members, others)]
        parts = [first.title.parts[0], second.title.parts[0]]
        if not near_synonyms(*parts) and not any(near_synonyms(part, p) for part in parts
                                                 for p in others):
            titles.append(Title(parts, index.coverage(parts, members)))
        titles = [t for t in titles if t is not None and t.coverage >= MIN_TITLE_COVERAGE]
        return max(titles, key=lambda t: t.coverage) if titles else None

    def _parts_of(self, rows: np.ndarray, vectors, n_parts: int) -> list:
        """``rows`` cut into ``n_parts`` by KMeans on their vectors, biggest first, or ``[]``
        when they cannot be cut so."""
        if vectors is None or len(rows) < n_parts:
            return []
        block = vectors[rows]
        if _distinct_rows(block) < n_parts:
            return []
        labels = KMeans(n_clusters=n_parts, n_init=4, random_state=PARTS_SEED).fit(
            block).labels_
        parts = [rows[labels == label] for label in range(n_parts)]
        if any(len(part) == 0 for part in parts):
            return []
        return sorted(parts, key=lambda part: (-len(part), int(part[0])))

    def _subtopic_mixture(self, index, rows, position_of, vectors, taken) -> Title | None:
        """A mixture title of a section no phrase covers: its 2 (else 3) subtopics, each
        named by its best phrase that covers half of the subtopic, together covering half
        of the section; ``None`` when no such mixture exists."""
        rows = np.asarray([r for r in rows if r in position_of])
        members = {position_of[r] for r in rows}
        for n_parts in MIXTURE_SUBTOPICS:
            phrases: list = []
            for part in self._parts_of(rows, vectors, n_parts):
                phrase = _subtopic_phrase(index, {position_of[r] for r in part}, members,
                                          list(taken) + phrases)
                if phrase is not None:
                    phrases.append(phrase)
            if len(phrases) < 2:
                continue
            coverage = index.coverage(phrases, members)
            if coverage >= MIN_TITLE_COVERAGE:
                return Title(phrases, coverage)
        return None

    def _nameable(self, index, rows, position_of, vectors, splits: int) -> bool:
        """Whether ``rows`` can be named: by a phrase or a mixture, by a mixture of its
        subtopics, or, while splits are left, after a split that keeps a nameable half."""
        members = {position_of[r] for r in rows if r in position_of}
        if (choose_title(index, members) is not None
                or self._subtopic_mixture(index, rows, position_of, vectors, ()) is not None):
            return True
        return bool(self._halves(index, rows, position_of, vectors, splits))

    def _halves(self, index, rows, position_of, vectors, splits: int) -> list:
        """Two halves of ``rows``, both of at least MIN_SECTION_SIZE texts and at least one
        of them nameable, or ``[]``."""
        if len(rows) < SPLIT_MIN_SIZE or splits >= MAX_SPLITS:
            return []
        halves = self._parts_of(rows, vectors, 2)
        if (not halves or any(len(half) < MIN_SECTION_SIZE for half in halves)
                or not any(self._nameable(index, half, position_of, vectors, splits + 1)
                           for half in halves)):
            return []
        return halves

    def _split(self, item: _Section, vectors, section, index, position_of) -> list:
        """Two halves of a section no title covers (KMeans on its vectors), or ``[]`` when it
        is too small, already split ``MAX_SPLITS`` times, a half would be too small, or
        neither half can be named even after further splits (pieces nobody can name would
        only fill «Прочее»)."""
        halves = self._halves(index, item.members, position_of, vectors, item.splits)
        if not halves:
            return []
        new_id = max(self.first_free_id_, _free_id(section))
        self.first_free_id_ = new_id + 1
        section[halves[1]] = new_id
        item.members = halves[0]
        item.splits += 1
        other = _Section(new_id, item.group, halves[1], False, splits=item.splits)
        self.log_.append(f"Раздел из {proposals(len(halves[0]) + len(halves[1]))} без общего "
                         f"названия разделён на два ({len(halves[0])} и {len(halves[1])}).")
        return [item, other]

    def _apply_moves(self, documents, sections, section, is_other, reason):
        """Merge near-synonym sections and send unnameable ones to «Прочее» of the track."""
        titles = {s.section: s for s in sections}
        moved_out = [s for s in sections if s.reason]
        for item in sections:
            if item.merged_into is not None:
                target = titles[item.merged_into]
                section[item.members] = target.section
                target.members = np.sort(np.concatenate([target.members, item.members]))
                self.log_.append(f"Раздел из {proposals(len(item.members))} объединён с "
                                 f"«{_title_text(target)}»: их названия почти совпадают.")
        if not moved_out:
            return
        other = next((s for s in sections if s.is_other), None)
        if other is None:
            other = _Section(max(self.first_free_id_, _free_id(section)), sections[0].group,
                             np.array([], dtype=int), True)
            sections.append(other)
        for item in moved_out:
            section[item.members] = other.section
            is_other[item.members] = True
            reason[item.members] = item.reason
            other.members = np.sort(np.concatenate([other.members, item.members]))
            self.log_.append(f"В «{OTHER_TITLE}» ({proposals(len(item.members))}): "
                             f"{item.reason}.")

    # ----------------------------------------------------------------- descriptions

    def _describe(self, documents, vectors, terms, sections, section, is_other, reason):
        records = []
        by_group: dict = {}
        for item in sections:
            by_group.setdefault(item.group, []).append(item)
        for group, items in by_group.items():
            rows = np.flatnonzero((documents["group"] == group).to_numpy())
            index, sampled = self._index(rows, terms, section)
            position_of = {row: i for i, row in enumerate(sampled)}
            for item in items:
                members = {position_of[r] for r in item.members if r in position_of}
                record = self._record(documents, vectors, item, index, members, position_of,
                                      terms, reason)
                records.append(record)
            _tell_apart([r for r in records if r["group"] == group])
        return records

    def _record(self, documents, vectors, item, index, members, position_of, terms, reason):
        key_terms = key_terms_of(index, members, self.n_key_terms)
        if item.is_other:
            title, coverage = OTHER_TITLE, float("nan")
        elif item.fixed_title:
            title = item.fixed_title
            coverage = index.coverage(text_terms(title).phrases.values(), members)
        elif item.title is not None:
            title, coverage = item.title.text, item.title.coverage
        else:
            title, coverage = (_capitalised(key_terms[0]) if key_terms else NAMELESS_TITLE), 0.0
        subtopics = []
        if not item.is_other and len(item.members) > SUBTOPIC_MIN_SIZE and vectors is not None:
            subtopics = self._subtopics(documents, vectors, item, terms, title)
        if item.is_other:
            why = Counter(reason[r] for r in item.members if reason[r])
            summary = compose_other_summary(len(item.members), why)
        else:
            mentions = _mentions(index.candidates(members))
            scale = len(item.members) / max(len(members), 1)  # sampled sections: estimate
            mentions = [(text, int(round(count * scale))) for text, count in mentions]
            summary = compose_summary(title, len(item.members), mentions,
                                      [s["title"] for s in subtopics])
        return {
            "section": item.section,
            "group": item.group,
            "title": title,
            "key_terms": key_terms,
            "size": len(item.members),
            "votes_total": float(documents["votes"].iloc[item.members].sum()),
            "is_other": item.is_other,
            "coverage": round(float(coverage), 4) if coverage == coverage else float("nan"),
            "summary": summary,
            "subtopics": subtopics,
            "reason": "; ".join(sorted({reason[r] for r in item.members if reason[r]}))
            if item.is_other else "",
            "members_": np.asarray(item.members, dtype=int),
        }

    def _subtopics(self, documents, vectors, item, terms, section_title) -> list[dict]:
        members = np.asarray(item.members)
        n_sub = int(min(MAX_SUBTOPICS,
                        max(2, round(np.sqrt(len(members) / TEXTS_PER_SUBTOPIC)))))
        block = vectors[members]
        if _distinct_rows(block) < n_sub:
            return []
        labels = KMeans(n_clusters=n_sub, n_init=4, random_state=self.random_state).fit(
            block).labels_
        sampled = [r for r in members if r in terms]
        index = _GroupIndex([terms[r] for r in sampled],
                            [int(labels[np.searchsorted(members, r)]) for r in sampled],
                            most_frequent_forms(terms[r].phrases for r in sampled))
        within = set(range(len(sampled)))
        section_phrases = list(text_terms(section_title).phrases.values())
        taken = [p for p in section_phrases]
        parts = []
        order = sorted(range(n_sub), key=lambda c: (-int(np.sum(labels == c)), c))
        for label in order:
            # one phrase per subtopic, the best against the rest of the section: a subtopic
            # is read as a label inside a section, where a mixture would only confuse
            subset = index.members(label)
            phrase = next((c[1] for c in _preferred(index.candidates(subset, within))
                           if not is_generic(c[1])
                           and not any(near_synonyms(c[1], other) for other in taken)), None)
            if phrase is not None:
                taken.append(phrase)
            name = _capitalised(phrase.text) if phrase is not None else SUBTOPIC_FALLBACK
            ids = documents["id"].iloc[members[labels == label]].tolist()
            parts.append({"title": name, "ids": ids})
        return parts

    def _rank(self, documents, vectors, sections):
        n = len(documents)
        score = np.zeros(n)
        representative = np.zeros(n, dtype=bool)
        rank = np.zeros(n, dtype=int)
        representative_ids, quote_ids, quotes = [], [], []
        votes = documents["votes"].to_numpy()
        texts = documents["text"].tolist()
        for members, is_other in zip(sections["members_"], sections["is_other"]):
            if vectors is not None and not is_other and len(members):
                score[members] = centroid_similarity(vectors, members)
            by_closeness = sorted(members, key=lambda r: (-score[r], r))
            chosen = by_closeness[:self.n_representatives] if not is_other else []
            representative[chosen] = True
            representative_ids.append([documents["id"].iat[r] for r in chosen])
            quoted = [r for r in by_closeness if len(texts[r].strip()) >= QUOTE_MIN_CHARS]
            quoted = quoted[:N_QUOTES] if not is_other else []
            quote_ids.append([documents["id"].iat[r] for r in quoted])
            quotes.append([{"id": documents["id"].iat[r], "text": quote_text(texts[r])}
                           for r in quoted])
            ordered = sorted(members, key=lambda r: (-votes[r], -score[r], r))
            rank[ordered] = np.arange(1, len(ordered) + 1)
        sections = sections.assign(representative_ids=representative_ids, quote_ids=quote_ids,
                                   quotes=quotes)
        title_of = dict(zip(sections["section"].map(str), sections["title"]))
        section_of = np.empty(n, dtype=object)
        for section_id, members in zip(sections["section"], sections["members_"]):
            section_of[members] = section_id
        ranked = pd.DataFrame({
            "section_title": [title_of[str(s)] for s in section_of],
            "is_representative": representative,
            "rank_in_section": rank,
            "score": np.round(score, 4),
        })
        return sections, ranked

    def _see_also(self, documents, vectors, section, is_other, terms) -> list:
        """Other sections of the track that a text fits about as well as its own."""
        title_of = dict(zip(self.sections_["section"].map(str), self.sections_["title"]))
        title_lemmas = {key: {lemma for phrase in text_terms(title).phrases.values()
                              for lemma in phrase.key} for key, title in title_of.items()}
        see_also = [[] for _ in range(len(documents))]
        if vectors is None:
            return see_also
        for group in pd.unique(documents["group"]):
            rows = np.flatnonzero((documents["group"] == group).to_numpy() & ~is_other)
            ids = list(pd.unique(pd.Series(section[rows])))
            if len(ids) < 2:
                continue
            centres = normalize(np.vstack([vectors[rows[section[rows] == s]].mean(axis=0)
                                           for s in ids]))
            similarity = vectors[rows] @ centres.T
            own = np.array([ids.index(s) for s in section[rows]])
            own_score = similarity[np.arange(len(rows)), own]
            similarity[np.arange(len(rows)), own] = -np.inf
            best = np.argmax(similarity, axis=1)
            best_score = similarity[np.arange(len(rows)), best]
            fits = (own_score > 0) & (best_score >= SEE_ALSO_SHARE * own_score)
            for row, other in zip(rows[fits], best[fits]):
                lemmas = terms[row].lemmas if row in terms else text_terms(
                    documents["text"].iat[row], documents["language"].iat[row]).lemmas
                if lemmas & title_lemmas[str(ids[other])]:
                    see_also[row] = [ids[other]]
        return see_also


def _tell_apart(records: list[dict]) -> None:
    """Titles of a track that still repeat (fallback titles of tiny tracks) get the first key
    term they lack; the bigger section keeps the plain title."""
    seen: set = set()
    for record in sorted(records, key=lambda r: (r["is_other"], -r["size"], str(r["section"]))):
        title = record["title"]
        if title in seen and not record["is_other"]:
            extra = next((t for t in record["key_terms"] if t.lower() not in title.lower()
                          and f"{title}: {t}" not in seen), None)
            title = f"{title}: {extra}" if extra else title
            number = 2
            while title in seen:
                title = f"{record['title']} ({number})"
                number += 1
            record["title"] = title
        seen.add(title)


def _title_text(item: _Section) -> str:
    if item.fixed_title:
        return item.fixed_title
    return item.title.text if item.title is not None else NAMELESS_TITLE


def _distinct_rows(block) -> int:
    """How many different rows ``block`` has (to 5 decimals): KMeans needs as many as it
    makes clusters. Rows hashed as bytes: ``np.unique(axis=0)`` sorts them, which cost a
    tenth of the naming on large tracks; ``+ 0.0`` makes -0.0 and 0.0 one value."""
    rounded = np.ascontiguousarray(np.round(block, 5) + 0.0)
    return len({row.tobytes() for row in rounded})


def _free_id(section) -> int:
    numbers = [int(s) for s in section if isinstance(s, (int, np.integer))]
    return max(numbers, default=0) + 1


def _display_order(sections: pd.DataFrame) -> pd.DataFrame:
    """By group, «Прочее» last in its group, bigger sections first, then by id."""
    sections = sections.assign(_order=sections["is_other"].astype(int))
    sections = sections.sort_values(
        ["group", "_order", "size", "section"], ascending=[True, True, False, True],
        key=lambda c: c.map(str) if c.name == "section" else c,
    )
    return sections.drop(columns="_order").reset_index(drop=True)
