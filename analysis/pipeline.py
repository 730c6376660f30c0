"""The end-to-end grouping: texts in, draft sections out (see :func:`cluster_proposals`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from collections import Counter

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.preprocessing import normalize

from .clustering import ProposalClusterer, choose_n_clusters, readable_min_k
from .duplicates import PAIR_COLUMNS, duplicate_pairs, pairs_frame
from .features import ProposalVectorizer, prepare_texts
from .representation import (
    OTHER_TITLE,
    centroid_similarity,
    class_tfidf_terms,
    readable_term,
    section_title_candidates,
    make_titles_unique,
)
from .text import MAX_TEXT_CHARS

logger = logging.getLogger(__name__)

ASSIGNMENT_COLUMNS = [
    "id", "section", "section_title", "group", "is_representative", "rank_in_section", "score",
]
SECTION_COLUMNS = [
    "section", "group", "title", "key_terms", "size", "representative_ids", "votes_total",
    "locked", "is_other",
]
N_REPRESENTATIVES = 3
N_KEY_TERMS = 8
#: A re-run may create new sections only when this share of the free texts is new.
NEW_TEXT_SHARE_FOR_NEW_SECTIONS = 0.3


@dataclass
class ClusteringResult:
    """What :func:`cluster_proposals` returns.

    Attributes
    ----------
    assignments : DataFrame
        One row per input row, in input order: ``id, section, section_title, group,
        is_representative, rank_in_section, score`` (``score`` is the cosine similarity to
        the section centre; 0 in «Прочее»).
    sections : DataFrame
        One row per section: ``section, group, title, key_terms (list[str]), size,
        representative_ids (list), votes_total, locked, is_other``.
    duplicates : DataFrame
        Near-duplicate pairs ``id_a, id_b, similarity``.
    log : list of str
        Human-readable notes (chosen k and why, what went to «Прочее» and why).
    """

    assignments: pd.DataFrame
    sections: pd.DataFrame
    duplicates: pd.DataFrame
    log: list[str] = field(default_factory=list)


class _RunLog(list):
    """A list of messages that also goes to the ``logging`` module."""

    def note(self, message: str) -> None:
        logger.info(message)
        self.append(message)


# --------------------------------------------------------------------------- previous run


@dataclass
class _Previous:
    section_of: dict  # id -> previous section
    title_of: dict  # section -> title
    locked: set  # sections
    pinned: set  # ids


def _read_previous(previous: pd.DataFrame | None, id_col: str, log: _RunLog) -> _Previous | None:
    if previous is None or len(previous) == 0:
        return None
    missing = [c for c in ("id", "section") if c not in previous.columns]
    if missing:
        log.note(f"Предыдущее разбиение не учтено: нет столбцов {', '.join(missing)}.")
        return None
    previous = previous.dropna(subset=["section"])
    sections = previous["section"].map(_as_section_id)
    ids = previous["id"].map(_id_key)
    titles = previous.get("section_title", pd.Series([""] * len(previous), index=previous.index))
    title_of = {}
    for section, title in zip(sections, titles.fillna("")):
        title_of.setdefault(section, str(title))
    locked = set()
    if "locked" in previous.columns:
        locked = set(sections[previous["locked"].map(_truthy)])
    pinned = set()
    if "pinned" in previous.columns:
        pinned = set(ids[previous["pinned"].map(_truthy)])
    return _Previous(dict(zip(ids, sections)), title_of, locked, pinned)


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "да", "y", "t"}
    try:
        return bool(value) and value == value
    except (TypeError, ValueError):
        return False


def _as_section_id(value):
    """Section ids are ints when they look like ints (CSV round trips), else strings."""
    try:
        number = float(value)
        if number.is_integer():
            return int(number)
    except (TypeError, ValueError):
        pass
    return str(value)


def _id_key(value):
    """Ids compare as strings so that 7 (int) and '7' (from a CSV) match."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


# --------------------------------------------------------------------------- main function


def cluster_proposals(
    frame: pd.DataFrame,
    *,
    k: int | None = None,
    previous: pd.DataFrame | None = None,
    random_state: int = 0,
    group_col: str | None = None,
    text_col: str = "text",
    id_col: str = "id",
    votes_col: str | None = "votes",
    duplicate_threshold: float = 0.8,
) -> ClusteringResult:
    """Group texts into draft sections with titles, key terms and representatives.

    See the package docstring (:mod:`analysis`) for the full contract.

    Parameters
    ----------
    frame : DataFrame
        At least ``id_col`` and ``text_col``; optionally ``votes_col`` and ``group_col``.
    k : int, optional
        Number of sections per group; chosen automatically when ``None``.
    previous : DataFrame, optional
        A previous result (``id, section, section_title`` and optional ``locked``,
        ``pinned``) to keep section identities, locked sections and pinned rows.
    random_state : int, default=0
    group_col : str, optional
        Sections are formed inside each group (e.g. track).
    text_col, id_col : str
    votes_col : str or None, default='votes'
        Used for ranking inside sections; ignored if absent.
    duplicate_threshold : float, default=0.8

    Returns
    -------
    ClusteringResult

    Raises
    ------
    ValueError
        Only if ``frame`` lacks ``id_col`` or ``text_col`` (a programming error); bad texts
        never raise.
    """
    log = _RunLog()
    missing = [c for c in (id_col, text_col) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"Нет столбца {', '.join(missing)}; есть: {', '.join(map(str, frame.columns))}"
        )
    work = _working_frame(frame, text_col, id_col, votes_col, group_col)
    if work.empty:
        log.note("Нет текстов: разделы не сформированы.")
        return _empty_result(log)
    long_texts = int((work["text"].str.len() > MAX_TEXT_CHARS).sum())
    if long_texts:
        log.note(f"Текстов длиннее {MAX_TEXT_CHARS} символов: {long_texts}; учтено их начало.")
    prepared = prepare_texts(work["text"])
    features = _vectorize(prepared, random_state, log)
    prev = _read_previous(previous, id_col, log)
    state = _assign_sections(work, prepared, features, k, prev, random_state, log)
    return _build_result(work, prepared, features, state, prev, duplicate_threshold,
                         random_state, log)


def _working_frame(frame, text_col, id_col, votes_col, group_col) -> pd.DataFrame:
    work = pd.DataFrame(
        {
            "id": frame[id_col].tolist(),
            "text": frame[text_col].where(frame[text_col].notna(), "").astype(str).tolist(),
        }
    )
    if votes_col and votes_col in frame.columns:
        votes = pd.to_numeric(frame[votes_col], errors="coerce").fillna(0)
        work["votes"] = votes.to_numpy()
    else:
        work["votes"] = 0
    if group_col and group_col in frame.columns:
        work["group"] = frame[group_col].where(frame[group_col].notna(), "").astype(str).tolist()
    else:
        work["group"] = ""
    work["key"] = work["id"].map(_id_key)
    return work


@dataclass
class _Features:
    """Document vectors, per-view vectors and the character TF-IDF of all rows."""

    vectors: np.ndarray | None  # (n, d), zero rows for texts without features
    views: dict  # name -> (n, d_view)
    char_matrix: object = None  # sparse (n, n_char) L2-normalised rows, or None


def _vectorize(prepared: pd.DataFrame, random_state: int, log: _RunLog) -> _Features:
    usable = prepared["n_lemmas"] > 0
    if not usable.any():
        return _Features(None, {})
    try:
        vectorizer = ProposalVectorizer(random_state=random_state)
        usable_vectors, usable_views, char_usable = vectorizer.fit_transform_views(
            prepared[usable]
        )
        mask = usable.to_numpy()
        vectors, views = usable_vectors, usable_views
        if not mask.all():  # zero rows for texts without features (no copies otherwise)
            vectors = np.zeros((len(prepared), vectorizer.n_features_out_), dtype=np.float32)
            vectors[mask] = usable_vectors
            views = {}
            for name, block in usable_views.items():
                views[name] = np.zeros((len(prepared), block.shape[1]), dtype=np.float32)
                views[name][mask] = block
        char_matrix = None
        if char_usable is not None:
            char_matrix = char_usable
            if not mask.all():  # stop-word-only texts still have characters to compare
                rest = vectorizer.char_vectorizer_.transform(prepared["normalized"][~mask])
                order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
                stacked = sp.vstack([char_usable, normalize(rest).astype(np.float32)]).tocsr()
                char_matrix = stacked[np.argsort(order, kind="stable")]
        return _Features(vectors, views, char_matrix)
    except Exception:  # never let a numerical corner case lose the whole run
        logger.exception("vectorisation failed")
        log.note("Не удалось построить признаки текстов: все тексты отнесены к «Прочее».")
        return _Features(None, {})


@dataclass
class _State:
    section: list  # per row: section id or None (→ «Прочее» of its group)
    reason: list  # per row: why it went to «Прочее»
    new_sections: dict  # section id -> group, for sections created in this run
    kept_titles: dict  # section id -> title kept from the previous run


def _assign_sections(work, prepared, features, k, prev, random_state, log) -> _State:
    vectors = features.vectors
    n = len(work)
    section = [None] * n
    reason = [""] * n
    has_vector = np.zeros(n, dtype=bool)
    if vectors is not None:
        has_vector = (vectors != 0).any(axis=1)
    for row in range(n):
        if not work["text"].iat[row].strip():
            reason[row] = "пустой текст"
        elif not has_vector[row]:
            reason[row] = "нет значимых слов (только стоп-слова, числа, ссылки или эмодзи)"
    fixed = np.zeros(n, dtype=bool)
    kept_titles = {}
    if prev is not None:
        for row, key in enumerate(work["key"]):
            old = prev.section_of.get(key)
            if old is not None and (old in prev.locked or key in prev.pinned):
                section[row] = old
                fixed[row] = True
        kept_titles = {s: prev.title_of.get(s, "") for s in prev.locked}
        if prev.locked:
            log.note(f"Закреплённые разделы сохранены без изменений: {len(prev.locked)}.")
        if prev.pinned:
            log.note(f"Закреплённые предложения остались в своих разделах: {len(prev.pinned)}.")
    next_id = _first_free_id(prev)
    new_sections = {}
    for group in sorted(work["group"].unique()):
        rows = np.flatnonzero((work["group"] == group).to_numpy() & has_vector & ~fixed)
        if len(rows) == 0:
            continue
        try:
            labels, centers_from = _cluster_group(features, rows, work, k, prev,
                                                  random_state, group, log)
        except Exception:
            logger.exception("clustering failed in group %r", group)
            log.note(f"Группа «{group}»: не удалось разбить тексты, они отнесены к «Прочее».")
            for row in rows:
                reason[row] = "ошибка группировки"
            continue
        mapping, next_id = _name_clusters(labels, rows, work, prev, centers_from, next_id)
        for local, section_id in mapping.items():
            if prev is None or section_id not in prev.title_of:
                new_sections[section_id] = group
            else:
                kept_titles.setdefault(section_id, prev.title_of[section_id])
        for row, label in zip(rows, labels):
            section[row] = mapping[label]
    return _State(section, reason, new_sections, kept_titles)


def _first_free_id(prev: _Previous | None) -> int:
    if prev is None:
        return 1
    numbers = [s for s in prev.title_of if isinstance(s, int)]
    return max(numbers, default=0) + 1


def _cluster_group(features, rows, work, k, prev, random_state, group, log):
    """Cluster one group's free rows; seed with previous sections' centres if any."""
    block = features.vectors[rows]
    views = {name: view[rows] for name, view in features.views.items()}
    label = f"Группа «{group}»: " if group else ""
    previous_sections = []
    if prev is not None:
        previous_sections = sorted(
            {prev.section_of[key] for key in work["key"].iloc[rows] if key in prev.section_of}
            - prev.locked - {s for s, t in prev.title_of.items() if t == OTHER_TITLE},
            key=str,
        )
    init_centers = None
    if previous_sections:
        keys = work["key"].iloc[rows].to_numpy()
        old = np.array([prev.section_of.get(key) for key in keys], dtype=object)
        init_centers = np.vstack([block[old == s].mean(axis=0) for s in previous_sections])
        new_share = float(np.mean([key not in prev.section_of for key in keys]))
        n_clusters = k
        if n_clusters is None:
            n_clusters = len(previous_sections)
            if new_share >= NEW_TEXT_SHARE_FOR_NEW_SECTIONS:
                auto_k, _ = choose_n_clusters(block, views=views, random_state=random_state,
                                              k_min=readable_min_k(len(rows)))
                n_clusters = max(n_clusters, auto_k)
            log.note(f"{label}число разделов {n_clusters}: как в прошлом разбиении "
                     f"(новых текстов {new_share:.0%}).")
        model = ProposalClusterer(n_clusters=n_clusters, random_state=random_state)
        model.fit(block, init_centers=init_centers)
        return model.labels_, previous_sections
    if k is None and len(rows) < 3:
        log.note(f"{label}текстов меньше трёх ({len(rows)}): один раздел.")
        return np.zeros(len(rows), dtype=int), []
    floor = readable_min_k(len(rows))
    model = ProposalClusterer(n_clusters=k, k_min=floor, random_state=random_state)
    model.fit(block, views=views)
    if k is None:
        log.note(f"{label}число разделов выбрано автоматически: {model.n_clusters_} "
                 "(наименьшее k с наилучшей согласованностью разбиений по разным признакам, "
                 f"k от {floor} до 15: не меньше {floor} разделов, чтобы разделы "
                 "оставались обозримыми).")
    elif model.n_clusters_ < k:
        log.note(f"{label}задано k={k}, но различных текстов меньше: разделов "
                 f"{model.n_clusters_}.")
    return model.labels_, []


def _name_clusters(labels, rows, work, prev, previous_sections, next_id):
    """Map local cluster labels to section ids, keeping previous ids by maximum overlap."""
    local = sorted(set(labels.tolist()))
    mapping = {}
    if previous_sections:
        keys = work["key"].iloc[rows].to_numpy()
        overlap = np.zeros((len(local), len(previous_sections)))
        index = {s: j for j, s in enumerate(previous_sections)}
        for key, label in zip(keys, labels):
            old = prev.section_of.get(key)
            if old in index:
                overlap[local.index(label), index[old]] += 1
        matched_rows, matched_cols = linear_sum_assignment(-overlap)
        for i, j in zip(matched_rows, matched_cols):
            if overlap[i, j] > 0:
                mapping[local[i]] = previous_sections[j]
    # new sections: biggest first, so ids are deterministic
    sizes = {label: int(np.sum(labels == label)) for label in local}
    for label in sorted(local, key=lambda lab: (-sizes[lab], lab)):
        if label not in mapping:
            mapping[label] = next_id
            next_id += 1
    return mapping, next_id


# --------------------------------------------------------------------------- result tables


def _build_result(work, prepared, features, state, prev, threshold, random_state, log):
    vectors = features.vectors
    section = list(state.section)
    groups = work["group"].tolist()
    other_ids = {}
    next_id = max([s for s in section if isinstance(s, int)] + [_first_free_id(prev) - 1]) + 1
    previous_other = {}
    if prev is not None:
        previous_other = {t: s for s, t in prev.title_of.items() if t == OTHER_TITLE}
    reasons_logged = {}
    for row in range(len(section)):
        if section[row] is not None:
            continue
        group = groups[row]
        if group not in other_ids:
            if previous_other and len(other_ids) == 0:
                other_ids[group] = previous_other[OTHER_TITLE]
            else:
                other_ids[group] = next_id
                next_id += 1
        section[row] = other_ids[group]
        reasons_logged.setdefault(state.reason[row] or "не удалось сгруппировать", []).append(
            work["id"].iat[row]
        )
    for reason, ids in reasons_logged.items():
        shown = ", ".join(map(str, ids[:10])) + (" …" if len(ids) > 10 else "")
        log.note(f"В «{OTHER_TITLE}» ({len(ids)}): {reason} — id {shown}.")
    work = work.assign(section=section)
    sections = _describe_sections(work, prepared, vectors, state, prev, set(other_ids.values()))
    assignments = _rank_members(work, vectors, sections)
    sections = sections[SECTION_COLUMNS]
    duplicates = _safe_duplicates(work, prepared, features, section, threshold, random_state,
                                  log)
    n_sections = int((~sections["is_other"]).sum())
    log.note(f"Разделов: {n_sections}, текстов: {len(work)}, пар похожих текстов: "
             f"{len(duplicates)}.")
    return ClusteringResult(assignments, sections, duplicates, list(log))


def _describe_sections(work, prepared, vectors, state, prev, other_sections) -> pd.DataFrame:
    labels = work["section"].to_numpy(dtype=object)
    label_codes = pd.factorize(pd.Series(labels).map(str))[0]
    terms_by_code = class_tfidf_terms(prepared["lemmas"], label_codes, n_terms=N_KEY_TERMS)
    code_of = dict(zip(map(str, labels), label_codes))
    records = []
    for section_id in pd.unique(pd.Series(labels)):
        members = np.flatnonzero(labels == section_id)
        key_terms = [t for t, _ in terms_by_code.get(code_of[str(section_id)], [])]
        is_other = section_id in other_sections
        records.append(
            {
                "section": section_id,
                "group": work["group"].iat[members[0]],
                "key_terms": key_terms,
                "size": len(members),
                "votes_total": float(work["votes"].iloc[members].sum()),
                "locked": bool(prev is not None and section_id in prev.locked),
                "is_other": is_other,
                "_members": members,
            }
        )
    _drop_terms_shared_by_most_sections(records)
    titles = _titles(records, work, prepared, state)
    for record, title in zip(records, titles):
        record["title"] = title
        # Titles were built from lemmas; people read the terms as phrases.
        record["key_terms"] = list(dict.fromkeys(readable_term(t) for t in record["key_terms"]))
    sections = pd.DataFrame(records)
    sections["_order"] = sections["is_other"].astype(int)
    sections = sections.sort_values(
        ["group", "_order", "size", "section"], ascending=[True, True, False, True],
        key=lambda c: c.map(str) if c.name == "section" else c,
    )
    return sections.drop(columns="_order").reset_index(drop=True)


def _drop_terms_shared_by_most_sections(records, share: float = 0.6, keep_at_least: int = 3):
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


def _titles(records, work, prepared, state) -> list[str]:
    """Kept titles stay as they were; new ones are built and made unique against all."""
    titles, fresh, options = [], [], {}
    for position, record in enumerate(records):
        section_id = record["section"]
        if record["is_other"]:
            titles.append(OTHER_TITLE)
        elif section_id in state.kept_titles and state.kept_titles[section_id]:
            titles.append(state.kept_titles[section_id])
        else:
            members = record["_members"]
            languages = prepared["language"].iloc[members].value_counts()
            language = languages.index[0] if len(languages) else "ru"
            candidates = [c for c in section_title_candidates(
                record["key_terms"], work["text"].iloc[members].tolist(), language
            ) if c != OTHER_TITLE] or ["Раздел"]
            options[position] = candidates
            titles.append(candidates[0])
            fresh.append(position)
    # Fresh titles must not repeat each other, kept titles, or «Прочее»: the bigger section
    # keeps its best phrase, a smaller one takes its next candidate that is still free.
    taken = {t for i, t in enumerate(titles) if i not in fresh}
    for position in sorted(fresh, key=lambda i: -len(records[i]["_members"])):
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


def _rank_members(work, vectors, sections) -> pd.DataFrame:
    title_of = dict(zip(sections["section"].map(str), sections["title"]))
    score = np.zeros(len(work))
    representative = np.zeros(len(work), dtype=bool)
    rank = np.zeros(len(work), dtype=int)
    representative_ids = []
    for members, is_other in zip(sections["_members"], sections["is_other"]):
        if vectors is not None and not is_other:
            score[members] = centroid_similarity(vectors, members)
        by_closeness = sorted(members, key=lambda r: (-score[r], r))
        chosen = by_closeness[:N_REPRESENTATIVES] if not is_other else []
        representative[chosen] = True
        representative_ids.append([work["id"].iat[r] for r in chosen])
        ordered = sorted(members, key=lambda r: (-work["votes"].iat[r], -score[r], r))
        rank[ordered] = np.arange(1, len(ordered) + 1)
    sections["representative_ids"] = representative_ids
    sections.drop(columns="_members", inplace=True)
    sections.reset_index(drop=True, inplace=True)
    assignments = pd.DataFrame(
        {
            "id": work["id"],
            "section": work["section"],
            "section_title": work["section"].map(lambda s: title_of[str(s)]),
            "group": work["group"],
            "is_representative": representative,
            "rank_in_section": rank,
            "score": np.round(score, 4),
        }
    )
    return assignments


def _safe_duplicates(work, prepared, features, section, threshold, random_state,
                     log) -> pd.DataFrame:
    try:
        blocks = None
        if len(work) > 3000:  # compare only inside sections at scale
            blocks = pd.factorize(pd.Series(section).map(str))[0]
        # reuse the character TF-IDF and its LSA of the grouping instead of refitting them
        pairs = duplicate_pairs(prepared["normalized"].tolist(), threshold, blocks, random_state,
                                matrix=features.char_matrix,
                                projection=features.views.get("char"))
        return pairs_frame(pairs, work["id"].tolist())
    except Exception:
        logger.exception("duplicate search failed")
        log.note("Поиск похожих текстов не удался; пары не показаны.")
        return pd.DataFrame(columns=PAIR_COLUMNS)


def _empty_result(log: _RunLog) -> ClusteringResult:
    return ClusteringResult(
        pd.DataFrame(columns=ASSIGNMENT_COLUMNS),
        pd.DataFrame(columns=SECTION_COLUMNS),
        pd.DataFrame(columns=PAIR_COLUMNS),
        list(log),
    )
