"""Near-duplicate pairs and live "similar proposals" search.

Similarity is the cosine of character 3–5-gram TF-IDF vectors of the normalised texts
(inside word boundaries): robust to typos, word order and inflection, and language-free.
No n×n matrix is ever built: small inputs are compared exactly in row chunks; large inputs
first find candidates with a 128-dimensional LSA projection inside blocks, then verify each
candidate pair exactly.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .text import normalize_text

logger = logging.getLogger(__name__)

PAIR_COLUMNS = ["id_a", "id_b", "similarity"]
#: Up to this many texts, pairs are computed exactly.
EXACT_LIMIT = 3000
#: At most this many partners are kept per text: a text copied 200 times must not produce
#: 20,000 pairs (and gigabytes of them at 100,000 texts).
MAX_PARTNERS = 5
#: Candidate pairs verified per sparse chunk.
VERIFY_CHUNK = 20000
#: Entries of one dense similarity chunk (bounds memory to ~40 MB).
CHUNK_CELLS = 5_000_000


def char_tfidf(normalized: list[str], fit_sample: int = 20000, random_state: int = 0):
    """Fit character TF-IDF on (a sample of) texts and return the L2-normalised matrix.

    Parameters
    ----------
    normalized : list of str
        Normalised texts.
    fit_sample : int, default=20000
        Texts used to learn the vocabulary.
    random_state : int, default=0

    Returns
    -------
    scipy.sparse.csr_matrix or None
        ``None`` when no text has a character n-gram.
    """
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32
    )
    sample = normalized
    if len(normalized) > fit_sample:
        rng = np.random.default_rng(random_state)
        sample = [normalized[i] for i in rng.choice(len(normalized), fit_sample, replace=False)]
    try:
        vectorizer.fit(sample)
    except ValueError:  # nothing but empty texts
        return None
    # Transform in chunks: CountVectorizer's intermediate index arrays for 100,000 texts at
    # once take several GB, the finished float32 matrix a fraction of that.
    chunks = [
        normalize(vectorizer.transform(normalized[start:start + 10000]))
        for start in range(0, len(normalized), 10000)
    ]
    return sp.vstack(chunks).tocsr()


def _top_partners(similarity: np.ndarray, start: int, threshold: float):
    """Row/column positions of each row's best partners (j > i, sim >= threshold)."""
    rows = np.arange(similarity.shape[0])[:, None] + start
    columns = np.arange(similarity.shape[1])[None, :]
    similarity = np.where(columns > rows, similarity, -1.0)
    if similarity.shape[1] > MAX_PARTNERS:
        best = np.argpartition(-similarity, MAX_PARTNERS - 1, axis=1)[:, :MAX_PARTNERS]
    else:
        best = np.broadcast_to(np.arange(similarity.shape[1]), similarity.shape)
    values = np.take_along_axis(similarity, best, axis=1)
    local_i, slot = np.nonzero(values >= threshold)
    return local_i, best[local_i, slot]


def _exact_pairs(matrix: sp.csr_matrix, rows: np.ndarray, threshold: float) -> list[tuple]:
    """All pairs (i < j) inside ``rows`` with cosine >= threshold, computed in chunks."""
    block = matrix[rows]
    block_t = block.T.tocsc()
    chunk = max(1, CHUNK_CELLS // max(len(rows), 1))
    pairs = []
    for start in range(0, len(rows), chunk):
        similarity = (block[start:start + chunk] @ block_t).toarray()
        local_i, local_j = _top_partners(similarity, start, threshold)
        for i, j in zip(local_i, local_j):
            pairs.append((rows[i + start], rows[j], float(similarity[i, j])))
    return pairs


def _candidate_pairs(dense: np.ndarray, rows: np.ndarray, threshold: float) -> list[tuple]:
    """Pairs (i < j) inside ``rows`` whose LSA cosine is at least ``threshold``."""
    block = dense[rows]
    chunk = max(1, CHUNK_CELLS // max(len(rows), 1))
    pairs = []
    for start in range(0, len(rows), chunk):
        similarity = block[start:start + chunk] @ block.T
        local_i, local_j = _top_partners(similarity, start, threshold)
        pairs.extend(zip(rows[local_i + start], rows[local_j]))
    return pairs


def _verified(matrix: sp.csr_matrix, candidates: list[tuple], threshold: float) -> list[tuple]:
    if not candidates:
        return []
    first = np.array([a for a, _ in candidates])
    second = np.array([b for _, b in candidates])
    # in chunks: row-gathering 500,000 candidate pairs at once takes gigabytes
    similarity = np.concatenate([
        np.asarray(
            matrix[first[start:start + VERIFY_CHUNK]]
            .multiply(matrix[second[start:start + VERIFY_CHUNK]]).sum(axis=1)
        ).ravel()
        for start in range(0, len(first), VERIFY_CHUNK)
    ])
    keep = similarity >= threshold
    return list(zip(first[keep], second[keep], similarity[keep].astype(float)))


def _lsa_projection(matrix: sp.csr_matrix, non_empty: np.ndarray, random_state: int):
    """128-dimensional unit-length LSA rows of ``matrix`` (fitted on at most 20,000 rows)."""
    n_components = min(128, matrix.shape[1] - 1, len(non_empty) - 1)
    svd = TruncatedSVD(n_components=n_components, random_state=random_state)
    fit_rows = non_empty
    if len(fit_rows) > 20000:
        fit_rows = np.random.default_rng(random_state).choice(non_empty, 20000, replace=False)
    svd.fit(matrix[fit_rows])
    return np.vstack([
        normalize(svd.transform(matrix[start:start + 10000])).astype(np.float32)
        for start in range(0, matrix.shape[0], 10000)
    ])


def duplicate_pairs(
    normalized: list[str], threshold: float = 0.8, blocks: np.ndarray | None = None,
    random_state: int = 0, matrix: sp.csr_matrix | None = None,
    projection: np.ndarray | None = None,
) -> list[tuple[int, int, float]]:
    """Positions of near-duplicate pairs.

    Parameters
    ----------
    normalized : list of str
        Normalised texts.
    threshold : float, default=0.8
        Minimum cosine similarity.
    blocks : ndarray of int, optional
        Only texts in the same block are compared (e.g. clusters). Above ``EXACT_LIMIT``
        texts without blocks, blocks come from a coarse MiniBatchKMeans (approximate).
    random_state : int, default=0
    matrix : scipy.sparse.csr_matrix, optional
        L2-normalised character TF-IDF of the texts, when the caller already has it (the
        grouping does); otherwise it is fitted here.
    projection : ndarray of shape (n, d), optional
        Unit-length low-dimensional rows of the same texts (e.g. the LSA of ``matrix``) used
        to find candidate pairs in large inputs; otherwise a 128-dimensional LSA is fitted.

    Returns
    -------
    list of (int, int, float)
        ``(i, j, similarity)`` with ``i < j``; each text ``i`` keeps at most ``MAX_PARTNERS``
        later partners ``j`` (the most similar ones).
    """
    non_empty = np.array([i for i, text in enumerate(normalized) if text.strip()], dtype=int)
    if len(non_empty) < 2:
        return []
    if matrix is None:
        matrix = char_tfidf(normalized, random_state=random_state)
    if matrix is None:
        return []
    if len(non_empty) <= EXACT_LIMIT and blocks is None:
        return _exact_pairs(matrix, non_empty, threshold)
    if projection is not None:
        dense = np.asarray(projection, dtype=np.float32)
    else:
        dense = _lsa_projection(matrix, non_empty, random_state)
    if blocks is None:
        n_blocks = max(2, len(non_empty) // 2000)
        blocks = np.full(len(normalized), -1)
        blocks[non_empty] = MiniBatchKMeans(
            n_clusters=n_blocks, random_state=random_state, n_init=1, batch_size=4096
        ).fit_predict(dense[non_empty])
    blocks = np.asarray(blocks)
    pairs = []
    # LSA cosine is a slightly noisy estimate of the exact cosine: search a bit lower.
    candidate_threshold = max(0.0, threshold - 0.1)
    for block in np.unique(blocks[non_empty]):
        rows = non_empty[blocks[non_empty] == block]
        if len(rows) < 2:
            continue
        candidates = _candidate_pairs(dense, rows, candidate_threshold)
        pairs.extend(_verified(matrix, candidates, threshold))
    return pairs


def find_duplicates(frame: pd.DataFrame, threshold: float = 0.8, text_col: str = "text",
                    id_col: str = "id") -> pd.DataFrame:
    """Near-duplicate pairs of texts.

    Parameters
    ----------
    frame : DataFrame
        Must contain ``text_col`` and ``id_col``.
    threshold : float, default=0.8
        Minimum cosine similarity of character 3–5-gram TF-IDF vectors.
    text_col, id_col : str
        Column names.

    Returns
    -------
    DataFrame
        Columns ``id_a, id_b, similarity`` (``id_a`` is the earlier row), sorted by
        decreasing similarity, then ids.
    """
    _require_columns(frame, [text_col, id_col])
    normalized = [normalize_text(text) for text in frame[text_col].tolist()]
    pairs = duplicate_pairs(normalized, threshold)
    return pairs_frame(pairs, frame[id_col].tolist())


def pairs_frame(pairs: list[tuple], ids: list) -> pd.DataFrame:
    """Turn position pairs into a sorted ``id_a, id_b, similarity`` DataFrame."""
    if not pairs:
        return pd.DataFrame({"id_a": [], "id_b": [], "similarity": []}).astype(
            {"similarity": float}
        )
    result = pd.DataFrame(
        {
            "id_a": [ids[i] for i, _, _ in pairs],
            "id_b": [ids[j] for _, j, _ in pairs],
            "similarity": [round(min(s, 1.0), 4) for _, _, s in pairs],
        }
    )
    return result.sort_values(
        ["similarity", "id_a", "id_b"], ascending=[False, True, True], key=_sort_key
    ).reset_index(drop=True)


def _sort_key(column: pd.Series) -> pd.Series:
    # ids may mix ints and strings; sort them as strings so the order is total
    return column if column.name == "similarity" else column.astype(str)


def most_similar(query: str, frame: pd.DataFrame, top_n: int = 5, text_col: str = "text",
                 id_col: str = "id", min_similarity: float = 0.2) -> pd.DataFrame:
    """Texts of ``frame`` most similar to ``query`` (for live hints and moderation).

    The similarity is the mean of two cosines: lemma TF-IDF (meaning) and character
    3–5-gram TF-IDF (typos, inflection). Fast for a few hundred rows (milliseconds).

    Parameters
    ----------
    query : str
        The text being typed.
    frame : DataFrame
        Existing texts with ``text_col`` and ``id_col``.
    top_n : int, default=5
    text_col, id_col : str
    min_similarity : float, default=0.2

    Returns
    -------
    DataFrame
        Columns ``id, similarity``, most similar first.
    """
    from .features import prepare_texts

    _require_columns(frame, [text_col, id_col])
    empty = pd.DataFrame({"id": [], "similarity": []})
    if frame.empty or not normalize_text(query):
        return empty
    prepared = prepare_texts([query] + frame[text_col].tolist())
    blocks = []
    for column, analyzer, ngrams in (("lemmas", "word", (1, 1)), ("normalized", "char_wb", (3, 5))):
        vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True,
                                     token_pattern=r"\S+" if analyzer == "word" else None)
        try:
            blocks.append(normalize(vectorizer.fit_transform(prepared[column])))
        except ValueError:
            continue
    if not blocks:
        return empty
    similarity = sum((b[1:] @ b[0].T).toarray().ravel() for b in blocks) / len(blocks)
    order = np.argsort(-similarity, kind="stable")[:top_n]
    order = [i for i in order if similarity[i] >= min_similarity]
    return pd.DataFrame(
        {"id": frame[id_col].iloc[order].tolist(),
         "similarity": [round(float(similarity[i]), 4) for i in order]}
    )


def _require_columns(frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"Нет столбца {', '.join(missing)}; есть: {', '.join(map(str, frame.columns))}"
        )
