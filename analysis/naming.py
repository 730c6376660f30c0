"""The naming stage: key terms, titles, representatives and ranks of formed sections.

:class:`SectionNamer` is the default ``namer`` of :class:`~analysis.pipeline.ProposalGrouper`.
It reads a documents DataFrame (one row per text, with its ``section``) and describes every
section for people; it never changes which text is in which section.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .representation import (
    OTHER_TITLE,
    centroid_similarity,
    class_tfidf_terms,
    make_titles_unique,
    readable_term,
    section_title_candidates,
)

#: Columns the namer needs in its documents frame (the pipeline's prepared texts).
DOCUMENT_COLUMNS = ("id", "text", "votes", "group", "lemmas", "language", "section",
                    "is_other")
#: Title used when no candidate phrase can be built at all (no key term either).
NAMELESS_TITLE = "Раздел"
#: A term in at least this share of a group's sections tells them apart from nothing.
SHARED_TERM_SHARE = 0.6
#: ... but a section keeps its terms when dropping the shared ones would leave fewer than this.
MIN_KEPT_TERMS = 3


class SectionNamer(BaseEstimator):
    """Describe sections: c-TF-IDF key terms, a title phrase, representatives and ranks.

    Parameters
    ----------
    n_key_terms : int, default=8
        Key terms per section.
    n_representatives : int, default=3
        Texts closest to the section centre shown as its representatives.

    Attributes
    ----------
    sections_ : DataFrame
        One row per section, in display order (by group, «Прочее» last, then by size):
        ``section, group, title, key_terms, size, representative_ids, votes_total, is_other``
        and ``members_`` (row positions in the documents frame).
    documents_ : DataFrame
        One row per document, in input order: ``section_title, is_representative,
        rank_in_section, score``.
    """

    def __init__(self, n_key_terms=8, n_representatives=3):
        self.n_key_terms = n_key_terms
        self.n_representatives = n_representatives

    def fit(self, documents: pd.DataFrame, y=None, *, vectors=None, fixed_titles=None):
        """Describe the sections of ``documents``.

        Parameters
        ----------
        documents : DataFrame
            Columns of :data:`DOCUMENT_COLUMNS`, one row per text.
        y : ignored
        vectors : ndarray of shape (n, d), optional
            Unit-length document vectors (for representatives and scores); without them every
            score is 0 and the representatives are the first members.
        fixed_titles : dict, optional
            ``{section: title}`` that must be kept as they are (locked or matched sections
            of a previous run); new titles never repeat them.

        Returns
        -------
        self
        """
        missing = [c for c in DOCUMENT_COLUMNS if c not in documents.columns]
        if missing:
            raise ValueError(f"documents lack columns: {', '.join(missing)}")
        records = self._records(documents)
        _drop_terms_shared_by_most_sections(records)
        titles = self._titles(records, documents, fixed_titles or {})
        for record, title in zip(records, titles):
            record["title"] = title
            # Titles were built from lemmas; people read the terms as phrases.
            record["key_terms"] = list(dict.fromkeys(readable_term(t)
                                                     for t in record["key_terms"]))
        sections = _display_order(pd.DataFrame(records))
        self.sections_, self.documents_ = self._rank(documents, vectors, sections)
        return self

    def _records(self, documents: pd.DataFrame) -> list[dict]:
        labels = documents["section"].to_numpy(dtype=object)
        label_codes = pd.factorize(pd.Series(labels).map(str))[0]
        terms_by_code = class_tfidf_terms(documents["lemmas"].reset_index(drop=True),
                                          label_codes, n_terms=self.n_key_terms)
        code_of = dict(zip(map(str, labels), label_codes))
        other = documents["is_other"].to_numpy(dtype=bool)
        records = []
        for section_id in pd.unique(pd.Series(labels)):
            members = np.flatnonzero(labels == section_id)
            records.append({
                "section": section_id,
                "group": documents["group"].iat[members[0]],
                "key_terms": [t for t, _ in terms_by_code.get(code_of[str(section_id)], [])],
                "size": len(members),
                "votes_total": float(documents["votes"].iloc[members].sum()),
                "is_other": bool(other[members[0]]),
                "members_": members,
            })
        return records

    def _titles(self, records, documents, fixed_titles) -> list[str]:
        """Kept titles stay as they were; new ones are built and made unique against all."""
        titles, fresh, options = [], [], {}
        for position, record in enumerate(records):
            section_id = record["section"]
            if record["is_other"]:
                titles.append(OTHER_TITLE)
            elif fixed_titles.get(section_id):
                titles.append(fixed_titles[section_id])
            else:
                members = record["members_"]
                languages = documents["language"].iloc[members].value_counts()
                language = languages.index[0] if len(languages) else "ru"
                candidates = [c for c in section_title_candidates(
                    record["key_terms"], documents["text"].iloc[members].tolist(), language
                ) if c != OTHER_TITLE] or [NAMELESS_TITLE]
                options[position] = candidates
                titles.append(candidates[0])
                fresh.append(position)
        # Fresh titles must not repeat each other, kept titles, or «Прочее»: the bigger
        # section keeps its best phrase, a smaller one takes its next candidate still free.
        taken = {t for i, t in enumerate(titles) if i not in fresh}
        for position in sorted(fresh, key=lambda i: -len(records[i]["members_"])):
            free = [c for c in options[position] if c not in taken]
            if free:
                titles[position] = free[0]
                taken.add(free[0])
        fixed = [t for i, t in enumerate(titles) if i not in fresh]
        unique = make_titles_unique(fixed + [titles[i] for i in fresh],
                                    [[]] * len(fixed) + [records[i]["key_terms"] for i in fresh])
        for i, title in zip(fresh, unique[len(fixed):]):
            titles[i] = title
        return titles

    def _rank(self, documents, vectors, sections):
        n = len(documents)
        score = np.zeros(n)
        representative = np.zeros(n, dtype=bool)
        rank = np.zeros(n, dtype=int)
        representative_ids = []
        votes = documents["votes"].to_numpy()
        for members, is_other in zip(sections["members_"], sections["is_other"]):
            if vectors is not None and not is_other:
                score[members] = centroid_similarity(vectors, members)
            by_closeness = sorted(members, key=lambda r: (-score[r], r))
            chosen = by_closeness[:self.n_representatives] if not is_other else []
            representative[chosen] = True
            representative_ids.append([documents["id"].iat[r] for r in chosen])
            ordered = sorted(members, key=lambda r: (-votes[r], -score[r], r))
            rank[ordered] = np.arange(1, len(ordered) + 1)
        sections = sections.assign(representative_ids=representative_ids)
        title_of = dict(zip(sections["section"].map(str), sections["title"]))
        ranked = pd.DataFrame({
            "section_title": documents["section"].map(lambda s: title_of[str(s)]).to_numpy(),
            "is_representative": representative,
            "rank_in_section": rank,
            "score": np.round(score, 4),
        })
        return sections, ranked


def _display_order(sections: pd.DataFrame) -> pd.DataFrame:
    """By group, «Прочее» last in its group, bigger sections first, then by id."""
    sections = sections.assign(_order=sections["is_other"].astype(int))
    sections = sections.sort_values(
        ["group", "_order", "size", "section"], ascending=[True, True, False, True],
        key=lambda c: c.map(str) if c.name == "section" else c,
    )
    return sections.drop(columns="_order").reset_index(drop=True)


def _drop_terms_shared_by_most_sections(records, share: float = SHARED_TERM_SHARE,
                                        keep_at_least: int = MIN_KEPT_TERMS):
    """Remove key terms that most sections of a group share (in a track of library proposals,
    «библиотека» tops nearly every section): they tell sections apart from nothing and would
    otherwise make titles like «Библиотека и банк»."""
    by_group: dict = {}
    for record in records:
        if not record["is_other"]:
            by_group.setdefault(record["group"], []).append(record)
    for group_records in by_group.values():
        if len(group_records) < 2:
            continue
        counts = Counter(term for r in group_records for term in set(r["key_terms"]))
        limit = max(2, int(np.ceil(share * len(group_records))))
        common = {term for term, n in counts.items() if n >= limit and " " not in term}
        for record in group_records:
            kept = [t for t in record["key_terms"] if t not in common]
            if len(kept) >= keep_at_least:
                record["key_terms"] = kept
