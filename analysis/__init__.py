"""Group proposals into draft strategy sections: pure pandas/scikit-learn, no Flask.

Public API
----------
``cluster_proposals(frame, *, k=None, previous=None, random_state=0, group_col=None,
text_col='text', id_col='id', votes_col='votes', duplicate_threshold=0.8, progress=None,
grouper=None) -> ClusteringResult``
    ``frame`` has at least ``id`` and ``text`` (joining title and body is the caller's job),
    optionally ``votes`` and a group column (e.g. track; sections are then formed inside each
    group). Returns a :class:`ClusteringResult` with

    * ``assignments``: one row per input row, in input order —

      ========================= =====================================================
      ``id``                    as given
      ``section``               int section id
      ``section_title``         str
      ``group``                 str ("" without ``group_col``)
      ``is_representative``     bool (the texts closest to the section centre)
      ``rank_in_section``       int, 1.. (by votes desc, then closeness to the centre)
      ``score``                 float, cosine similarity to the section centre (0 in «Прочее»)
      ``reason``                str, why the text is in «Прочее» ("" elsewhere)
      ``see_also``              list[int], other sections of the track the text fits
                                about as well as its own («см. также»); usually []
      ========================= =====================================================

    * ``sections``: one row per section, by group, «Прочее» last, then by size —

      ========================= =====================================================
      ``section``               int
      ``group``                 str
      ``title``                 str: a phrase that at least half of the texts share a
                                content lemma with, or a mixture «Транспорт; дороги и
                                остановки»; «Прочее» for the rest
      ``key_terms``             list[str]: nominative noun phrases, abbreviations in
                                capitals (ЦОД, НЭБ), surface words for English/German
      ``size``                  int
      ``representative_ids``    list of ids
      ``votes_total``           float
      ``locked``                bool
      ``is_other``              bool
      ``coverage``              float: share of the texts that contain a content lemma of
                                the title (NaN for «Прочее»)
      ``summary``               str: 2–3 third-person sentences («Участники предлагают …»,
                                key phrases with counts, subtopics); for «Прочее»: what
                                is there and why
      ``quote_ids``             list of ids: 1–2 representative texts to quote
      ``quotes``                list of ``{"id", "text"}`` (the text, cut at a sentence
                                to at most 300 characters), same order as ``quote_ids``
      ``subtopics``             list of ``{"title": str, "ids": list}``: one level, for
                                sections of more than 12 texts (2–4 parts; [] otherwise)
      ``reason``                str: for «Прочее», the reasons of its texts ("" otherwise)
      ========================= =====================================================

    * ``duplicates``: near-duplicate pairs ``id_a, id_b, similarity``;
    * ``log``: human-readable messages (Russian): chosen k and why, what went to «Прочее» and
      why, failed stages with their reason;
    * ``failures``: ``[{"stage", "group", "error"}]`` for stages that failed (their texts are
      in «Прочее» with a ``reason``); empty when all went well.

    ``progress(stage, fraction)`` is called as the run goes (stages ``prepare, vectorize,
    cluster, name, duplicates, done``; fraction 0..1, non-decreasing). The result is the same
    for any number of BLAS/OpenMP threads (the run holds them at one thread).

``ProposalGrouper(vectorizer=None, clusterer=None, namer=None, *, k=None, random_state=0, ...)``
    The same grouping as swappable sklearn-style stages (BERTopic's manner): defaults
    ``ProposalVectorizer``, ``ProposalClusterer``, ``SectionNamer``; any object with
    ``fit_transform`` / ``fit`` + ``labels_`` / ``fit`` + ``sections_`` fits (see
    :mod:`analysis.pipeline`). ``fit(frame, previous=None, progress=None)`` sets
    ``result_`` (a ``ClusteringResult``); ``fit_predict`` returns the section of every row.

    Section ids are positive ints, unique across groups, and stay the same across re-runs
    (see *previous* below). Texts that cannot be grouped (empty; only stop words, digits,
    links or emoji), sections of fewer than 3 texts in tracks of 20 or more, and sections
    that no title covers even after splitting them go to a section titled «Прочее» per group,
    each text with its ``reason``; sections with near-synonym titles are told apart or
    merged (the log says so). Bad texts never raise; only a
    missing id/text column raises ``ValueError``. Deterministic for a given ``random_state``.

``find_duplicates(frame, threshold=0.8, text_col='text', id_col='id') -> DataFrame``
    Pairs ``id_a, id_b, similarity`` with character 3–5-gram TF-IDF cosine >= threshold.

``most_similar(query, frame, top_n=5, text_col='text', id_col='id', min_similarity=0.2)``
    ``DataFrame[id, similarity]`` of the texts most similar to ``query`` (milliseconds for a
    few hundred rows: live hints while typing, moderation queue).

The previous run (``previous=`` / ``--previous PREV.csv``)
---------------------------------------------------------
A table with one row per previously grouped text: ``id, section, section_title`` (the
``assignments`` / CLI output is fine as it is) and optional columns

* ``locked`` (section level, 1/0, true/false): if any row of a section has it, the section is
  locked: it keeps exactly its previous members that are still present, and its title; new
  texts never join it.
* ``pinned`` (row level, 1/0): the text stays in its previous section whatever the clustering
  says.

Other texts are re-clustered with KMeans seeded at the previous sections' centres, and the new
clusters are matched to previous sections by maximum overlap of members (Hungarian
assignment): a matched cluster keeps the previous id and title. k stays the previous number of
unlocked sections unless ``k`` is given or at least 30% of the free texts are new (then k is
chosen again, never below the previous one). Unmatched clusters get new ids above the previous
maximum. Previous sections that lost all members disappear.

``merge_partner_names(names) -> dict`` (in :mod:`analysis.partners`)
    Every spelling of a partner → one canonical name («ООО "Ромашка"», «Ромашка», «ромашка
    ооо» → «ООО «Ромашка»»), for the DOCX's index of partners.

Method
------
normalise (case, ё→е, links, numbers) → tokenise → pymorphy3 lemmas (Snowball stems for
English/German, language detected per text) → stop words (``stop-words`` + domain list) →
views: LSA (100) of sublinear lemma TF-IDF with bigrams, LSA (100) of ``char_wb`` 3–5-gram
TF-IDF, mean navec word vectors when the ``natasha`` wheel is installed; their weighted
concatenation (L2) is the document vector → sections are the consensus of single-restart
KMeans runs over the document vectors and each view with k, 1.5k and 2k clusters, both on the
vectors and on the spectral embedding of their kNN graph (sqrt(n)/1.5 neighbours, so the graph
grows with the data) (KMeans on the one-hot memberships; groups above 2,000 texts run it on a
sample and join the nearest centre) → k given; or, where the views agree on a grouping (mean
ARI of their partitions to the consensus ≥ 0.5 at some k of 2..8, 10, 12, 15 up to
sqrt(n/2)+1), the smallest k within 0.01 of the best; otherwise, as for short citizen texts
with overlapping topics, k = round(sqrt(1.5n)) ≤ 15, sized for the reader. The k choice uses a
fixed internal seed: the same k for every ``random_state`` → naming (:mod:`analysis.naming`):
contrastive noun-phrase titles that cover half the section, mixtures, splits, «Прочее» with
the reason, near-synonym check; key phrases; summaries and quotes; subtopics; see-also →
representatives closest to the centre.
"""

from .clustering import ProposalClusterer
from .duplicates import find_duplicates, most_similar
from .features import ProposalVectorizer
from .naming import SectionNamer
from .partners import merge_partner_names
from .pipeline import ClusteringResult, ProposalGrouper, cluster_proposals

__all__ = [
    "ClusteringResult", "ProposalClusterer", "ProposalGrouper", "ProposalVectorizer",
    "SectionNamer", "cluster_proposals", "find_duplicates", "merge_partner_names",
    "most_similar",
]
