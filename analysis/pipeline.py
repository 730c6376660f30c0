"""The end-to-end grouping as swappable stages: texts in, draft sections out.

:class:`ProposalGrouper` chains three sklearn-style stages in BERTopic's manner, each
replaceable by any object with the same methods:

* ``vectorizer`` (default :class:`~analysis.features.ProposalVectorizer`): ``fit_transform``
  of the documents DataFrame to unit-length vectors (``fit_transform_views`` when it has it:
  per-view vectors for the consensus and the character TF-IDF for the duplicate search);
* ``clusterer`` (default :class:`~analysis.clustering.ProposalClusterer`): ``fit(X)`` then
  ``labels_``; ``n_clusters``/``k_min`` are set when it has them, ``views``/``init_centers``
  are passed when its ``fit`` takes them;
* ``namer`` (default :class:`~analysis.naming.SectionNamer`): ``fit(documents, vectors=…,
  fixed_titles=…)`` then ``sections_`` and ``documents_``.

Between the stages travels one documents DataFrame (one row per input text: ``id, key, text,
votes, group`` and the prepared columns of :func:`~analysis.features.prepare_texts`; then
``section, reason, is_other``). :func:`cluster_proposals` is the one-call entry point.
"""

from __future__ import annotations

import inspect
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, clone
from sklearn.preprocessing import normalize

from .clustering import (CLEAR_STRUCTURE_SCORE, ProposalClusterer, choose_n_clusters,
                         readable_k_factor)
from .duplicates import PAIR_COLUMNS, duplicate_pairs, pairs_frame
from .features import ProposalVectorizer, prepare_texts
from .naming import SectionNamer
from .representation import OTHER_TITLE
from .text import MAX_TEXT_CHARS
from .threads import single_threaded_math

logger = logging.getLogger(__name__)

ASSIGNMENT_COLUMNS = [
    "id", "section", "section_title", "group", "is_representative", "rank_in_section", "score",
    "reason", "see_also",
]
SECTION_COLUMNS = [
    "section", "group", "title", "key_terms", "size", "representative_ids", "votes_total",
    "locked", "is_other", "coverage", "summary", "quote_ids", "quotes", "subtopics", "reason",
]
#: What a section gets when the namer does not give it.
SECTION_DEFAULTS = {"coverage": lambda: float("nan"), "summary": str, "quote_ids": list,
                    "quotes": list, "subtopics": list, "reason": str}
FAILURE_FIELDS = ("stage", "group", "error")
#: A re-run may create new sections only when this share of the free texts is new.
NEW_TEXT_SHARE_FOR_NEW_SECTIONS = 0.3
#: Groups smaller than this form one section when k is not given: two texts cannot disagree.
MIN_TEXTS_TO_SPLIT = 3
#: Above this many texts, duplicates are searched only inside sections (pairs across
#: sections are rare, and the all-pairs search would dominate the run time).
DUPLICATES_ACROSS_SECTIONS_MAX_N = 3000
#: Groups (tracks) clustered at once: the machines this runs on have two cores.
GROUP_WORKERS = 2
#: Ids shown in one «Прочее» log line; the rest are counted.
LOGGED_IDS = 10

#: Why a text went to «Прочее» (the ``reason`` column).
REASON_EMPTY = "пустой текст"
REASON_NO_WORDS = "нет значимых слов (только стоп-слова, числа, ссылки или эмодзи)"
REASON_NO_FEATURES = "не удалось построить признаки текстов"
REASON_CLUSTERING = "ошибка группировки"
REASON_UNKNOWN = "не удалось сгруппировать"


@dataclass
class ClusteringResult:
    """What :func:`cluster_proposals` returns.

    Attributes
    ----------
    assignments : DataFrame
        One row per input row, in input order: ``ASSIGNMENT_COLUMNS`` (types and meaning in
        the :mod:`analysis` docstring).
    sections : DataFrame
        One row per section: ``SECTION_COLUMNS``, including ``coverage, summary, quote_ids,
        quotes, subtopics, reason``.
    duplicates : DataFrame
        Near-duplicate pairs ``id_a, id_b, similarity``.
    log : list of str
        Human-readable notes (chosen k and why, what went to «Прочее» and why, failures).
    failures : list of dict
        Stages that failed, as ``{"stage", "group", "error"}`` (``error`` is the exception's
        type and message); the texts they concerned are in «Прочее» with a ``reason``.
    """

    assignments: pd.DataFrame
    sections: pd.DataFrame
    duplicates: pd.DataFrame
    log: list[str] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)


class _RunLog(list):
    """A list of messages that also goes to the ``logging`` module, and the failures."""

    def __init__(self):
        super().__init__()
        self.failures: list[dict] = []

    def note(self, message: str) -> None:
        logger.info(message)
        self.append(message)

    def fail(self, stage: str, group: str, error: BaseException, message: str) -> None:
        """Record a failed stage: the traceback to ``logging``, the reason to the result."""
        reason = f"{type(error).__name__}: {error}"
        logger.error("%s failed (group %r): %s", stage, group, reason, exc_info=error)
        self.failures.append({"stage": stage, "group": group, "error": reason})
        self.note(f"{message} Причина: {reason}.")


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


# --------------------------------------------------------------------------- the grouper


@dataclass
class _Features:
    """Document vectors, per-view vectors and the character TF-IDF of all rows."""

    vectors: np.ndarray | None  # (n, d), zero rows for texts without features
    views: dict  # name -> (n, d_view)
    char_matrix: object = None  # sparse (n, n_char) L2-normalised rows, or None


def _progress_reporter(progress):
    """``progress(stage, fraction)`` that never lets a broken callback stop the run."""
    if progress is None:
        return lambda stage, fraction: None

    def report(stage: str, fraction: float) -> None:
        try:
            progress(stage, float(min(1.0, max(0.0, fraction))))
        except Exception:  # the caller's display must not lose the grouping
            logger.warning("progress callback failed at %s", stage, exc_info=True)

    return report


#: Stages reported to ``progress`` with the share of the run they start at.
PROGRESS_STAGES = {"prepare": 0.0, "vectorize": 0.3, "cluster": 0.5, "name": 0.8,
                   "duplicates": 0.95, "done": 1.0}


class ProposalGrouper(BaseEstimator):
    """Group texts into draft sections: vectorizer → clusterer → namer.

    Parameters
    ----------
    vectorizer : estimator, optional
        Documents DataFrame → unit-length vectors; default ``ProposalVectorizer``.
    clusterer : estimator, optional
        Vectors → ``labels_``; default ``ProposalClusterer`` (consensus KMeans, automatic k).
    namer : estimator, optional
        Documents with sections → ``sections_``/``documents_``; default ``SectionNamer``.
    k : int, optional
        Sections per group; chosen automatically when ``None``.
    random_state : int, default=0
    group_col, text_col, id_col, votes_col, duplicate_threshold
        As in :func:`cluster_proposals`.

    Attributes
    ----------
    result_ : ClusteringResult
    assignments_, sections_, duplicates_ : DataFrame
        The tables of ``result_``.
    log_ : list of str
    sections_before_naming_ : ndarray of object
        Section of every row as the clusterer left it (before «Прочее» moves and merges of
        the namer).
    vectorizer_, namer_ : estimator
        The fitted stages (the clusterer is cloned per group: ``clusterers_`` by group).
    clusterers_ : dict
    """

    def __init__(self, vectorizer=None, clusterer=None, namer=None, *, k=None, random_state=0,
                 group_col=None, text_col="text", id_col="id", votes_col="votes",
                 duplicate_threshold=0.8):
        self.vectorizer = vectorizer
        self.clusterer = clusterer
        self.namer = namer
        self.k = k
        self.random_state = random_state
        self.group_col = group_col
        self.text_col = text_col
        self.id_col = id_col
        self.votes_col = votes_col
        self.duplicate_threshold = duplicate_threshold

    # ----------------------------------------------------------------- public

    def fit(self, frame: pd.DataFrame, y=None, *, previous=None, progress=None):
        """Group ``frame``; see :func:`cluster_proposals` for the columns and ``previous``.

        Returns
        -------
        self
        """
        missing = [c for c in (self.id_col, self.text_col) if c not in frame.columns]
        if missing:
            raise ValueError(
                f"Нет столбца {', '.join(missing)}; есть: {', '.join(map(str, frame.columns))}"
            )
        report = _progress_reporter(progress)
        with single_threaded_math():
            self.result_ = self._run(frame, previous, report)
        self.assignments_ = self.result_.assignments
        self.sections_ = self.result_.sections
        self.duplicates_ = self.result_.duplicates
        self.log_ = self.result_.log
        report("done", PROGRESS_STAGES["done"])
        return self

    def fit_predict(self, frame: pd.DataFrame, y=None, **fit_params) -> np.ndarray:
        """Fit and return the section id of every row, in input order."""
        return self.fit(frame, **fit_params).assignments_["section"].to_numpy()

    # ----------------------------------------------------------------- stages

    def _stage(self, given, default):
        return clone(given, safe=False) if given is not None else default

    def _run(self, frame, previous, report) -> ClusteringResult:
        log = _RunLog()
        documents = self._documents(frame)
        if documents.empty:
            log.note("Нет текстов: разделы не сформированы.")
            return _empty_result(log)
        long_texts = int((documents["text"].str.len() > MAX_TEXT_CHARS).sum())
        if long_texts:
            log.note(f"Текстов длиннее {MAX_TEXT_CHARS} символов: {long_texts}; учтено их начало.")
        report("prepare", PROGRESS_STAGES["prepare"])
        prepared = prepare_texts(documents["text"])
        documents = pd.concat([documents, prepared], axis=1)
        report("vectorize", PROGRESS_STAGES["vectorize"])
        features = self._vectorize(documents, log)
        prev = _read_previous(previous, self.id_col, log)
        report("cluster", PROGRESS_STAGES["cluster"])
        documents, fixed_titles = self._assign_sections(documents, features, prev, log, report)
        # what the clusterer made, before the namer moves unnameable sections to «Прочее»
        # (the benchmark scores both: the grouping itself and the draft people read)
        self.sections_before_naming_ = documents["section"].to_numpy(dtype=object).copy()
        report("name", PROGRESS_STAGES["name"])
        self.namer_ = self._stage(self.namer, SectionNamer(random_state=self.random_state))
        if "hold_count" in getattr(self.namer_, "get_params", dict)():
            # a count chosen from the texts is held; a given k may be exceeded by splits
            self.namer_.set_params(hold_count=self.k is None)
        self.namer_.fit(documents, vectors=features.vectors, fixed_titles=fixed_titles,
                        first_free_id=max(_first_free_id(prev), _max_id(documents) + 1))
        for message in getattr(self.namer_, "log_", []):
            log.note(message)
        named = self.namer_.documents_
        for column in ("section", "reason", "is_other"):
            if column in named.columns:
                documents[column] = named[column].to_numpy()
        report("duplicates", PROGRESS_STAGES["duplicates"])
        return self._result(documents, features, prev, log)

    def _documents(self, frame: pd.DataFrame) -> pd.DataFrame:
        text = frame[self.text_col]
        documents = pd.DataFrame({
            "id": frame[self.id_col].tolist(),
            "text": text.where(text.notna(), "").astype(str).tolist(),
        })
        if self.votes_col and self.votes_col in frame.columns:
            votes = pd.to_numeric(frame[self.votes_col], errors="coerce").fillna(0)
            documents["votes"] = votes.to_numpy()
        else:
            documents["votes"] = 0
        if self.group_col and self.group_col in frame.columns:
            group = frame[self.group_col]
            documents["group"] = group.where(group.notna(), "").astype(str).tolist()
        else:
            documents["group"] = ""
        documents["key"] = documents["id"].map(_id_key)
        return documents

    def _vectorize(self, documents: pd.DataFrame, log: _RunLog) -> _Features:
        usable = documents["n_lemmas"] > 0
        if not usable.any():
            return _Features(None, {})
        self.vectorizer_ = self._stage(self.vectorizer,
                                       ProposalVectorizer(random_state=self.random_state))
        try:
            return _features_of(self.vectorizer_, documents, usable.to_numpy())
        except (ValueError, ArithmeticError, MemoryError, np.linalg.LinAlgError) as error:
            log.fail("vectorize", "", error,
                     "Не удалось построить признаки текстов: все тексты отнесены к «Прочее».")
            return _Features(None, {}, None)

    def _assign_sections(self, documents, features, prev, log, report):
        """Sections of every row (``None`` until «Прочее» ids are given) and kept titles."""
        n = len(documents)
        section: list = [None] * n
        reason = [""] * n
        has_vector = np.zeros(n, dtype=bool)
        if features.vectors is not None:
            has_vector = (features.vectors != 0).any(axis=1)
        for row in range(n):
            if not documents["text"].iat[row].strip():
                reason[row] = REASON_EMPTY
            elif documents["n_lemmas"].iat[row] == 0:
                reason[row] = REASON_NO_WORDS
            elif not has_vector[row]:
                reason[row] = REASON_NO_FEATURES
        fixed = np.zeros(n, dtype=bool)
        kept_titles: dict = {}
        if prev is not None:
            for row, key in enumerate(documents["key"]):
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
        self.clusterers_ = {}
        groups = sorted(documents["group"].unique())
        work = [(group, np.flatnonzero((documents["group"] == group).to_numpy()
                                       & has_vector & ~fixed)) for group in groups]
        work = [(group, rows) for group, rows in work if len(rows)]
        outcomes = self._cluster_groups(features, work, documents, prev, report)
        for (group, rows), (outcome, notes) in zip(work, outcomes):
            for message in notes:  # in group order, whatever order the threads finished in
                log.note(message)
            if isinstance(outcome, BaseException):
                label = f"Группа «{group}»: " if group else ""
                log.fail("cluster", group, outcome,
                         f"{label}не удалось разбить тексты, они отнесены к «{OTHER_TITLE}».")
                for row in rows:
                    reason[row] = REASON_CLUSTERING
                continue
            labels, centers_from = outcome
            mapping, next_id = _name_clusters(labels, rows, documents, prev, centers_from,
                                              next_id)
            for section_id in mapping.values():
                if prev is not None and section_id in prev.title_of:
                    kept_titles.setdefault(section_id, prev.title_of[section_id])
            for row, local in zip(rows, labels):
                section[row] = mapping[local]
        section, is_other = self._other_sections(documents, section, reason, prev, log)
        documents = documents.assign(section=section, reason=reason, is_other=is_other)
        return documents, kept_titles

    def _cluster_groups(self, features, work, documents, prev, report) -> list:
        """``[(labels and previous sections, or the exception), notes]`` per group.

        Groups are independent, so up to ``GROUP_WORKERS`` run at once: each is numerically
        single-threaded (same result for any thread count), and numpy/sklearn release the GIL
        in their loops, so two tracks use both cores of a small server."""
        def run(item):
            group, rows = item
            notes = _RunLog()
            try:
                outcome = self._cluster_group(features, rows, documents, prev, group, notes)
            except (ValueError, ArithmeticError, MemoryError, IndexError,
                    np.linalg.LinAlgError) as error:
                outcome = error
            return outcome, list(notes)

        outcomes = []
        # progress is reported from the calling thread only: the caller's callback may
        # touch a database session or a request context that belongs to that thread
        with ThreadPoolExecutor(max_workers=max(1, min(GROUP_WORKERS, len(work))),
                                thread_name_prefix="analysis-group") as pool:
            for outcome in pool.map(run, work):
                outcomes.append(outcome)
                report("cluster", PROGRESS_STAGES["cluster"] + (PROGRESS_STAGES["name"]
                       - PROGRESS_STAGES["cluster"]) * len(outcomes) / len(work))
        return outcomes

    def _other_sections(self, documents, section, reason, prev, log):
        """One «Прочее» per group for the rows without a section; log why they are there."""
        groups = documents["group"].tolist()
        other_ids: dict = {}
        next_id = max([s for s in section if isinstance(s, int)]
                      + [_first_free_id(prev) - 1]) + 1
        previous_other = None
        if prev is not None:
            previous_other = next((s for s, t in prev.title_of.items() if t == OTHER_TITLE),
                                  None)
        reasons_logged: dict = {}
        for row in range(len(section)):
            if section[row] is not None:
                continue
            group = groups[row]
            if group not in other_ids:
                if previous_other is not None and not other_ids:
                    other_ids[group] = previous_other
                else:
                    other_ids[group] = next_id
                    next_id += 1
            section[row] = other_ids[group]
            reason[row] = reason[row] or REASON_UNKNOWN
            reasons_logged.setdefault(reason[row], []).append(documents["id"].iat[row])
        for why, ids in reasons_logged.items():
            shown = ", ".join(map(str, ids[:LOGGED_IDS])) + (" …" if len(ids) > LOGGED_IDS else "")
            log.note(f"В «{OTHER_TITLE}» ({len(ids)}): {why} — id {shown}.")
        other = set(other_ids.values())
        return section, [s in other for s in section]

    def _clusterer_for(self, n_clusters):
        """A fresh clusterer for one group, with the given k where it takes one.

        A clusterer that cannot choose k itself (e.g. sklearn's KMeans: no ``k_max``) keeps
        its own ``n_clusters`` when k is not given.
        """
        model = self._stage(self.clusterer, ProposalClusterer(random_state=self.random_state))
        params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
        if "n_clusters" in params and (n_clusters is not None or "k_max" in params):
            model.set_params(n_clusters=n_clusters)
        return model

    def _cluster_group(self, features, rows, documents, prev, group, log):
        """Cluster one group's free rows; seed with previous sections' centres if any."""
        block = features.vectors[rows]
        views = {name: view[rows] for name, view in features.views.items()}
        label = f"Группа «{group}»: " if group else ""
        k = self.k
        previous_sections = []
        if prev is not None:
            previous_sections = sorted(
                {prev.section_of[key] for key in documents["key"].iloc[rows]
                 if key in prev.section_of}
                - prev.locked - {s for s, t in prev.title_of.items() if t == OTHER_TITLE},
                key=str,
            )
        if previous_sections:
            keys = documents["key"].iloc[rows].to_numpy()
            old = np.array([prev.section_of.get(key) for key in keys], dtype=object)
            init_centers = np.vstack([block[old == s].mean(axis=0) for s in previous_sections])
            new_share = float(np.mean([key not in prev.section_of for key in keys]))
            n_clusters = k
            if n_clusters is None:
                n_clusters = len(previous_sections)
                if new_share >= NEW_TEXT_SHARE_FOR_NEW_SECTIONS:
                    auto_k, _ = choose_n_clusters(block, views=views)
                    n_clusters = max(n_clusters, auto_k)
                log.note(f"{label}число разделов {n_clusters}: как в прошлом разбиении "
                         f"(новых текстов {new_share:.0%}).")
            model = self._clusterer_for(n_clusters)
            _fit_clusterer(model, block, init_centers=init_centers)
            self.clusterers_[group] = model
            return np.asarray(model.labels_), previous_sections
        if k is None and len(rows) < MIN_TEXTS_TO_SPLIT:
            log.note(f"{label}текстов меньше трёх ({len(rows)}): один раздел.")
            return np.zeros(len(rows), dtype=int), []
        model = self._clusterer_for(k)
        _fit_clusterer(model, block, views=views)
        self.clusterers_[group] = model
        labels = np.asarray(model.labels_)
        found = len(set(labels.tolist()))
        if k is None and hasattr(model, "k_scores_"):
            clear = max(model.k_scores_.values(), default=0.0) >= CLEAR_STRUCTURE_SCORE
            factor = f"{readable_k_factor(len(rows)):g}".replace(".", ",")
            why = ("разбиения по разным признакам согласованы лучше всего при этом k" if clear
                   else "явной группировки в текстах нет, поэтому разделы по размеру удобны "
                        f"для чтения: около √({factor}·{len(rows)}), не больше 15")
            log.note(f"{label}число разделов выбрано автоматически: {found} ({why}).")
        elif k is not None and found < k:
            log.note(f"{label}задано k={k}, но различных текстов меньше: разделов {found}.")
        return labels, []

    # ----------------------------------------------------------------- result

    def _result(self, documents, features, prev, log) -> ClusteringResult:
        sections = self.namer_.sections_.copy()
        sections["locked"] = [bool(prev is not None and s in prev.locked)
                              for s in sections["section"]]
        described = self.namer_.documents_
        see_also = (described["see_also"].to_numpy() if "see_also" in described.columns
                    else [[] for _ in range(len(documents))])
        assignments = pd.DataFrame({
            "id": documents["id"],
            "section": documents["section"],
            "section_title": described["section_title"].to_numpy(),
            "group": documents["group"],
            "is_representative": described["is_representative"].to_numpy(),
            "rank_in_section": described["rank_in_section"].to_numpy(),
            "score": described["score"].to_numpy(),
            "reason": documents["reason"],
            "see_also": see_also,
        })
        duplicates = self._duplicates(documents, features, log)
        n_sections = int((~sections["is_other"]).sum())
        log.note(f"Разделов: {n_sections}, текстов: {len(documents)}, пар похожих текстов: "
                 f"{len(duplicates)}.")
        for column, default in SECTION_DEFAULTS.items():  # a namer may leave some out
            if column not in sections.columns:
                sections[column] = [default() for _ in range(len(sections))]
        return ClusteringResult(assignments[ASSIGNMENT_COLUMNS],
                                sections[SECTION_COLUMNS].reset_index(drop=True),
                                duplicates, list(log), list(log.failures))

    def _duplicates(self, documents, features, log) -> pd.DataFrame:
        blocks = None
        if len(documents) > DUPLICATES_ACROSS_SECTIONS_MAX_N:
            blocks = pd.factorize(documents["section"].map(str))[0]
        try:
            # reuse the character TF-IDF and its LSA of the grouping instead of refitting them
            pairs = duplicate_pairs(documents["normalized"].tolist(), self.duplicate_threshold,
                                    blocks, self.random_state, matrix=features.char_matrix,
                                    projection=features.views.get("char"))
        except (ValueError, ArithmeticError, MemoryError, np.linalg.LinAlgError) as error:
            log.fail("duplicates", "", error, "Поиск похожих текстов не удался; пары не показаны.")
            return pd.DataFrame(columns=PAIR_COLUMNS)
        return pairs_frame(pairs, documents["id"].tolist())


def _fit_clusterer(model, X, **extra):
    """``model.fit(X, **extra)`` with only the keyword arguments its ``fit`` accepts."""
    accepted = inspect.signature(model.fit).parameters
    model.fit(X, **{name: value for name, value in extra.items()
                    if name in accepted and value is not None})
    return model


def _features_of(vectorizer, documents: pd.DataFrame, mask: np.ndarray) -> _Features:
    """Vectorise the rows with content; rows without it get zero vectors."""
    usable = documents[mask]
    if hasattr(vectorizer, "fit_transform_views"):
        usable_vectors, usable_views, char_usable = vectorizer.fit_transform_views(usable)
    else:
        usable_vectors = normalize(np.asarray(vectorizer.fit_transform(usable),
                                              dtype=np.float32))
        usable_views, char_usable = {}, None
    usable_vectors = np.asarray(usable_vectors, dtype=np.float32)
    vectors, views = usable_vectors, usable_views
    if not mask.all():  # zero rows for texts without features (no copies otherwise)
        vectors = np.zeros((len(documents), usable_vectors.shape[1]), dtype=np.float32)
        vectors[mask] = usable_vectors
        views = {}
        for name, block in usable_views.items():
            views[name] = np.zeros((len(documents), block.shape[1]), dtype=np.float32)
            views[name][mask] = block
    char_matrix = char_usable
    if char_usable is not None and not mask.all():
        # stop-word-only texts still have characters to compare for duplicates
        rest = vectorizer.char_vectorizer_.transform(documents["normalized"][~mask])
        order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
        stacked = sp.vstack([char_usable, normalize(rest).astype(np.float32)]).tocsr()
        char_matrix = stacked[np.argsort(order, kind="stable")]
    return _Features(vectors, views, char_matrix)


def _name_clusters(labels, rows, documents, prev, previous_sections, next_id):
    """Map local cluster labels to section ids, keeping previous ids by maximum overlap."""
    local = sorted(set(labels.tolist()))
    mapping = {}
    if previous_sections:
        keys = documents["key"].iloc[rows].to_numpy()
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


def _max_id(documents: pd.DataFrame) -> int:
    return max([int(s) for s in documents["section"] if isinstance(s, (int, np.integer))],
               default=0)


def _first_free_id(prev: _Previous | None) -> int:
    if prev is None:
        return 1
    numbers = [s for s in prev.title_of if isinstance(s, int)]
    return max(numbers, default=0) + 1


def _empty_result(log: _RunLog) -> ClusteringResult:
    return ClusteringResult(
        pd.DataFrame(columns=ASSIGNMENT_COLUMNS),
        pd.DataFrame(columns=SECTION_COLUMNS),
        pd.DataFrame(columns=PAIR_COLUMNS),
        list(log),
        list(log.failures),
    )


# --------------------------------------------------------------------------- one call


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
    progress=None,
    grouper: ProposalGrouper | None = None,
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
    progress : callable, optional
        Called as ``progress(stage, fraction)`` while the grouping runs (stages of
        :data:`PROGRESS_STAGES`, fraction of the run from 0 to 1, non-decreasing).
    grouper : ProposalGrouper, optional
        A grouper with other stages; its own ``k``, ``random_state`` and column names are
        replaced by the arguments above.

    Returns
    -------
    ClusteringResult

    Raises
    ------
    ValueError
        Only if ``frame`` lacks ``id_col`` or ``text_col`` (a programming error); bad texts
        never raise.
    """
    grouper = clone(grouper) if grouper is not None else ProposalGrouper()
    grouper.set_params(k=k, random_state=random_state, group_col=group_col,
                       text_col=text_col, id_col=id_col, votes_col=votes_col,
                       duplicate_threshold=duplicate_threshold)
    return grouper.fit(frame, previous=previous, progress=progress).result_
