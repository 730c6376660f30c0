"""Clustering of document vectors, with the number of sections chosen automatically.

:class:`ProposalClusterer` runs KMeans on the unit-length vectors of
:class:`~analysis.features.ProposalVectorizer` (on unit vectors, Euclidean KMeans is
spherical/cosine KMeans up to a constant). When ``n_clusters`` is ``None``,
:func:`choose_n_clusters` scores every k in ``k_min..min(k_max, n-1)`` on a seeded sample
where the views agree on a grouping, and sizes sections for the reader
(:func:`readable_k`) where they do not.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state

from .representation import MIN_GROUP_FOR_OTHER
from .threads import single_threaded_math

logger = logging.getLogger(__name__)

#: Above this many texts, KMeans runs in mini-batches and k is chosen on a sample.
LARGE_N = 20000
#: Mini-batch size above ``LARGE_N``: big enough for stable centres, small enough for memory.
MINI_BATCH_SIZE = 4096
#: Restarts of MiniBatchKMeans at most: each is a pass over 20,000+ rows, and they agree.
MINI_BATCH_MAX_INIT = 3
#: Rows per block when every text joins its nearest centre (bounds the distance matrix).
ASSIGN_CHUNK = 20000


def count_distinct_rows(vectors: np.ndarray) -> int:
    """Number of distinct rows (KMeans cannot make more clusters than distinct points)."""
    if len(vectors) == 0:
        return 0
    rounded = np.round(np.asarray(vectors, dtype=np.float64), 5)
    return len(np.unique(rounded, axis=0))


def fit_kmeans(vectors, n_clusters, *, random_state=0, n_init=10, init="k-means++"):
    """Fit KMeans (MiniBatchKMeans above ``LARGE_N`` rows) and return the fitted model.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    n_clusters : int
    random_state : int, default=0
    n_init : int, default=10
        Restarts; ignored when ``init`` is an array.
    init : {'k-means++'} or ndarray of shape (n_clusters, d)
        Explicit initial centres (used to keep sections stable across runs).

    Returns
    -------
    KMeans or MiniBatchKMeans
    """
    if not isinstance(init, str):
        n_init = 1
    # Callers run this inside single_threaded_math(): one thread is also much faster for
    # small fits, where OpenMP threads spin and wait on a shared 2-core machine.
    if len(vectors) > LARGE_N:
        model = MiniBatchKMeans(
            n_clusters=n_clusters, init=init, n_init=min(n_init, MINI_BATCH_MAX_INIT),
            batch_size=MINI_BATCH_SIZE, random_state=random_state,
        )
    else:
        model = KMeans(n_clusters=n_clusters, init=init, n_init=n_init, random_state=random_state)
    return model.fit(vectors)


#: Largest group clustered by the full ensemble; bigger groups use a sample of this size
#: (80 texts a section at k = 15). 2,000 cost a third more time for no gain: on 2,500
#: resampled Russian texts with k = 9, NMI 0.499 at 2,000 and 0.501 at 1,200, 8.5 s and
#: 5.8 s (the spectral members' embedding grows faster than the rows).
ENSEMBLE_SAMPLE = 1200
#: Candidate numbers of sections for the automatic choice (fewer candidates, cheaper search).
K_GRID = (2, 3, 4, 5, 6, 7, 8, 10, 12, 15)
#: Larger inputs choose k on a seeded sample of this size (the score settles by ~500 texts).
K_CHOICE_SAMPLE = 700
#: Scores within this much of the best count as ties, and the smaller k wins (readability).
K_TOLERANCE = 0.01
#: The views agree on a grouping only when their partitions match their consensus this well
#: (mean ARI). Clearly separated topics score 0.55–0.65; the shared Russian and German samples
#: (short citizen texts with overlapping topics) score 0.2–0.36 at every k, with no peak that
#: survives a change of seed or of split: there the data have no number of sections to find.
CLEAR_STRUCTURE_SCORE = 0.5
#: The internal seed of the k choice: the chosen k depends on the texts only, never on the
#: caller's ``random_state`` (the same k for every seed).
K_CHOICE_SEED = 0


def readable_k(n_texts: int, k_max: int = 15) -> int:
    """Sections for ``n_texts`` texts when the data show no grouping of their own.

    ``round(sqrt(1.5 n))``, at most ``k_max``: about 5 texts a section for 40 texts, 8 for 100,
    and ``k_max`` from ~150 texts on, where sections of more than ~12 texts get subtopics.
    Over-splitting costs little NMI (on halves of both samples NMI is flat from 9 to 20
    sections), under-splitting a lot (3–5 sections lose 0.05–0.3 NMI on tenths). But from
    ``MIN_GROUP_FOR_OTHER`` texts on, a section the namer cannot name goes to «Прочее», and
    sections of four or five short texts often cannot be, depending on the seed: with
    ``sqrt(2 n)`` the named count of German tenths (73 texts) varied by 1.95 (mean) and up
    to 4 across seeds over 20 splits, with ``sqrt(1.5 n)`` by 1.65 and 3, with ``sqrt(n)``
    by 1.0 and 2, but there Russian tenths (9 labels in 42 texts, 6 sections) lost 0.04 NMI
    against k given, and ``sqrt(1.5 n)`` none (session 12). Smaller tracks keep every
    section, so they keep ``round(sqrt(2 n))`` (5 sections for 12 texts).
    """
    factor = readable_k_factor(n_texts)
    return int(max(2, min(k_max, round(np.sqrt(factor * max(n_texts, 1))))))


def readable_k_factor(n_texts: int) -> float:
    """The ``f`` of :func:`readable_k`'s ``sqrt(f n)``."""
    return 1.5 if n_texts >= MIN_GROUP_FOR_OTHER else 2.0


def _as_views(vectors, views) -> list[np.ndarray]:
    """The feature views to cluster (float64: sklearn's float32 distances are slower)."""
    chosen = [vectors] + [v for v in (views or {}).values() if v is not None]
    return [np.asarray(v, dtype=np.float64) for v in chosen]


#: Rows × runs of the final ensemble: small inputs get more members (up to
#: ``ENSEMBLE_MAX_RUNS`` KMeans runs per view and k), large ones keep two. One KMeans run of a
#: 73-text tenth costs little, and with two runs the consensus of one seed matched another's
#: at ARI 0.36 (German tenths): the named sections then varied with the seed.
#: Session 10 raised the caps (8 → 32 runs, 50 → 100 restarts; the budgets per row stay): on
#: German tenths the named count then varied by 1.4 / 2 across seeds (mean / max over 10
#: splits) instead of 2.2 / 3, with the same NMI; 32 runs with 50 restarts gave 1.8 / 3.
ENSEMBLE_ROW_RUNS = 4000
ENSEMBLE_MIN_RUNS, ENSEMBLE_MAX_RUNS = 2, 32
#: Rows × restarts of the consensus KMeans on the co-membership: up to ``CONSENSUS_MAX_INIT``
#: restarts on small inputs (the best of more restarts depends less on the seed), 10 at
#: 2,000 rows, as before.
CONSENSUS_ROW_INITS = 20000
CONSENSUS_MIN_INIT, CONSENSUS_MAX_INIT = 10, 100


def ensemble_runs(n_rows: int) -> int:
    """KMeans runs per view and k of the final ensemble for ``n_rows`` rows (32 up to 125
    rows, 8 at 500, 5 at 732, 2 from 1,600 on): a fixed budget of work, spent on steadiness
    where the rows are few."""
    return int(max(ENSEMBLE_MIN_RUNS,
                   min(ENSEMBLE_MAX_RUNS, round(ENSEMBLE_ROW_RUNS / max(n_rows, 1)))))


def consensus_restarts(n_rows: int) -> int:
    """Restarts of the consensus KMeans for ``n_rows`` rows (100 up to 200 rows, 50 at 400,
    10 from 2,000 on)."""
    return int(max(CONSENSUS_MIN_INIT,
                   min(CONSENSUS_MAX_INIT, round(CONSENSUS_ROW_INITS / max(n_rows, 1)))))


#: Spectral members need at least this many rows (below, the kNN graph is too coarse).
SPECTRAL_MIN_N = 30
#: Above this many rows the spectral embedding uses LOBPCG (ARPACK is slow at 2,000 rows).
SPECTRAL_ARPACK_MAX_N = 1000


def spectral_neighbours(n_rows: int) -> int:
    """Neighbours of the kNN graph for ``n_rows`` rows: ``sqrt(n) / 1.5`` (10 at 211, 14 at
    426, 18 at 732, 30 at 2,000).

    The neighbourhood must grow with n: a fixed size describes an ever smaller part of each
    section as the texts multiply, and the graph then splits sections along local detail.
    """
    return int(max(5, min(n_rows - 1, round(np.sqrt(n_rows) / 1.5))))


def spectral_embedding_of(view: np.ndarray, n_components: int, *, random_state=0):
    """Spectral embedding (first ``n_components`` eigenvectors, constant one included) of the
    symmetric kNN graph of the unit-length rows of ``view``; ``None`` if it cannot be built."""
    from sklearn.manifold import spectral_embedding
    from sklearn.neighbors import kneighbors_graph

    n = len(view)
    if n < SPECTRAL_MIN_N or n_components + 1 >= n:
        return None
    graph = kneighbors_graph(view, spectral_neighbours(n), include_self=False)
    graph = graph.maximum(graph.T)
    solver = "arpack" if n <= SPECTRAL_ARPACK_MAX_N else "lobpcg"
    try:
        with warnings.catch_warnings():  # "graph is not fully connected" on odd inputs
            warnings.simplefilter("ignore")
            embedding = spectral_embedding(graph, n_components=n_components, drop_first=False,
                                           eigen_solver=solver, random_state=random_state)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
        # a numerical corner case (e.g. LOBPCG not converging) only loses the spectral members
        logger.info("spectral embedding failed, centroid members only: %s", error)
        return None
    if not np.isfinite(embedding).all():
        return None
    return embedding


def base_partitions(views, k_values, *, runs=2, random_state=0,
                    spectral=False) -> list[np.ndarray]:
    """Single-restart KMeans partitions of every view for every k (the ensemble members).

    With ``spectral``, each view also contributes single-restart KMeans partitions of the
    spectral embedding of its kNN graph (``k`` leading eigenvectors for ``k`` clusters): the
    graph follows the shape of the sections, which centroids alone miss, and it gains from
    more texts (see :func:`spectral_neighbours`).
    """
    rng = check_random_state(random_state)
    partitions = []
    for view in views:
        embedding = None
        if spectral:
            embedding = spectral_embedding_of(view, max(k_values),
                                              random_state=int(rng.randint(2 ** 31 - 1)))
        for k in k_values:
            for _ in range(runs):
                seed = int(rng.randint(np.iinfo(np.int32).max))
                partitions.append(fit_kmeans(view, k, random_state=seed, n_init=1).labels_)
                if embedding is not None:
                    seed = int(rng.randint(np.iinfo(np.int32).max))
                    partitions.append(fit_kmeans(normalize(embedding[:, :k]), k,
                                                 random_state=seed, n_init=1).labels_)
    return partitions


def consensus_labels(partitions, n_clusters, *, random_state=0, n_init=10) -> np.ndarray:
    """KMeans on the concatenated one-hot memberships of the ensemble members.

    Squared distances between these rows count the members that separate two texts, so this
    is KMeans on the co-association of the ensemble without building an n × n matrix.
    """
    blocks = [np.eye(int(labels.max()) + 1, dtype=np.float64)[labels] for labels in partitions]
    membership = normalize(np.hstack(blocks))
    return fit_kmeans(membership, n_clusters, random_state=random_state, n_init=n_init).labels_


def score_n_clusters(vectors, k_values, *, views=None, random_state=0) -> dict[int, float]:
    """Score candidate numbers of clusters by consensus stability.

    For each k, every view (document vectors, lemma LSA, character LSA, word vectors) is
    clustered twice with a single restart; the score is the mean adjusted Rand index between
    those partitions and their consensus. Unlike the silhouette, which keeps rising with k on
    short texts, this peaks where the views agree on the grouping.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
        Unit-length rows (a sample for large inputs).
    k_values : iterable of int
    views : dict of str to ndarray, optional
        Further views of the same rows.
    random_state : int, default=0

    Returns
    -------
    dict
        ``{k: score}``; higher is better.
    """
    from sklearn.metrics import adjusted_rand_score

    all_views = _as_views(vectors, views)
    scores = {}
    for k in k_values:
        partitions = base_partitions(all_views, [k], random_state=random_state + k)
        consensus = consensus_labels(partitions, k, random_state=random_state, n_init=3)
        if len(set(consensus.tolist())) < 2:
            continue
        scores[k] = float(np.mean([adjusted_rand_score(consensus, p) for p in partitions]))
    return scores


def choose_n_clusters(
    vectors, *, views=None, k_min=2, k_max=15, random_state=0, sample_size=K_CHOICE_SAMPLE
) -> tuple[int, dict[int, float]]:
    """Choose the number of clusters for ``vectors``.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    views : dict of str to ndarray, optional
        Further views of the same rows (see :func:`score_n_clusters`).
    k_min, k_max : int, default=2, 15
        Candidate range (clamped to ``n - 1`` distinct points and to ``sqrt(n / 2) + 1``;
        ``k_min`` is lowered to that cap when it is above it); the candidates are the values
        of ``K_GRID`` inside it.
    random_state : int, default=0
        Ignored (kept for the estimator's signature): see ``K_CHOICE_SEED``.
    sample_size : int, default=700
        Larger inputs are scored on a seeded sample of this size.

    Returns
    -------
    k : int
        Chosen number of clusters (1 when fewer than 3 distinct points): where the views
        agree on a grouping (best score at least ``CLEAR_STRUCTURE_SCORE``), the smallest k
        whose score is within ``K_TOLERANCE`` of the best; otherwise :func:`readable_k`.
        Scoring uses ``K_CHOICE_SEED``, not ``random_state``: k depends on the data only.
    scores : dict
        ``{k: score}`` of every candidate.
    """
    random_state = K_CHOICE_SEED
    distinct = count_distinct_rows(vectors)
    # the sqrt(n/2) rule of thumb caps k for small inputs (32 texts -> at most 5 sections)
    upper = min(k_max, distinct - 1, int(np.ceil(np.sqrt(len(vectors) / 2))) + 1)
    if upper < 2:
        return max(1, min(distinct, 1)), {}
    k_min = max(2, min(k_min, upper))
    candidates = [k for k in K_GRID if k_min <= k <= upper] or [upper]
    sample, sample_views = vectors, views
    if len(vectors) > sample_size:
        rng = check_random_state(random_state)
        rows = np.sort(rng.choice(len(vectors), sample_size, replace=False))
        sample = vectors[rows]
        sample_views = {name: v[rows] for name, v in (views or {}).items()}
    scores = score_n_clusters(sample, candidates, views=sample_views, random_state=random_state)
    if not scores:
        return 1, {}
    top = max(scores.values())
    if top < CLEAR_STRUCTURE_SCORE:
        return max(1, min(readable_k(len(vectors), k_max), distinct)), scores
    best = min(k for k, score in scores.items() if score >= top - K_TOLERANCE)
    return best, scores


class ProposalClusterer(ClusterMixin, BaseEstimator):
    """KMeans over unit-length document vectors with automatic k.

    Parameters
    ----------
    n_clusters : int or None, default=None
        Number of clusters; ``None`` chooses it with :func:`choose_n_clusters`. Clamped to
        the number of distinct vectors.
    k_min, k_max : int, default=2, 15
        Range for the automatic choice.
    n_init : int, default=20
        KMeans restarts (fewer are used above ``LARGE_N`` rows).
    random_state : int, default=0

    Attributes
    ----------
    labels_ : ndarray of shape (n,)
        Cluster of every row, 0-based.
    n_clusters_ : int
    cluster_centers_ : ndarray of shape (n_clusters_, d)
    k_scores_ : dict
        Scores of the candidate k (empty when k was given).
    """

    def __init__(self, n_clusters=None, k_min=2, k_max=15, n_init=20, random_state=0):
        self.n_clusters = n_clusters
        self.k_min = k_min
        self.k_max = k_max
        self.n_init = n_init
        self.random_state = random_state

    def fit(self, X, y=None, init_centers=None, views=None):
        """Cluster the rows of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n, d)
        y : ignored
        init_centers : ndarray of shape (m, d), optional
            Centres of previous sections; used as the first ``m`` initial centres so that a
            re-run keeps its sections where the data still supports them (plain KMeans).
        views : dict of str to ndarray, optional
            Further views of the same rows (e.g. lemma LSA, character LSA, word vectors).
            Without ``init_centers``, the clusters are the consensus of KMeans runs over
            ``X`` and every view with k, 1.5k and 2k clusters, on the vectors and on the
            spectral embedding of their kNN graph (evidence accumulation): steadier across
            seeds and better on held-out halves than one KMeans on ``X``; the graph members
            keep the result improving with more texts, where centroid members alone
            plateau (NMI ~0.49 at both 211 and 426 Russian texts).

        Returns
        -------
        self
        """
        with single_threaded_math():  # the same labels for any BLAS/OpenMP thread count
            return self._fit(np.asarray(X, dtype=np.float32), init_centers, views)

    def _fit(self, X, init_centers, views):
        distinct = count_distinct_rows(X)
        self.k_scores_ = {}
        if self.n_clusters is None:
            k, self.k_scores_ = choose_n_clusters(
                X, views=views, k_min=self.k_min, k_max=self.k_max,
                random_state=self.random_state,
            )
        else:
            k = int(self.n_clusters)
        k = max(1, min(k, distinct))
        self.n_clusters_ = k
        if len(X) == 0:
            self.labels_ = np.zeros(0, dtype=int)
            self.cluster_centers_ = np.zeros((0, X.shape[1] if X.ndim == 2 else 0))
            return self
        if k == 1:
            self.labels_ = np.zeros(len(X), dtype=int)
            self.cluster_centers_ = X.mean(axis=0, keepdims=True)
            return self
        # restarts matter on small inputs; on large ones KMeans is stable and costly
        n_init = self.n_init if len(X) <= ENSEMBLE_SAMPLE else max(3, self.n_init // 4)
        if init_centers is not None and len(init_centers):
            init = _extend_centers(X, np.asarray(init_centers, dtype=np.float32)[:k], k)
            model = fit_kmeans(X, k, random_state=self.random_state, n_init=1, init=init)
            self.labels_ = model.labels_.astype(int)
            self.cluster_centers_ = model.cluster_centers_
            return self
        k_values = sorted({k, min(distinct, int(round(1.5 * k))), min(distinct, 2 * k)})
        # The ensemble runs on a seeded sample of large groups; every text then joins the
        # nearest consensus centre (cost stays flat in n, quality is set by the sample).
        rows = np.arange(len(X))
        if len(X) > ENSEMBLE_SAMPLE:
            rng = check_random_state(self.random_state)
            rows = np.sort(rng.choice(len(X), ENSEMBLE_SAMPLE, replace=False))
        sample_views = {name: v[rows] for name, v in (views or {}).items()}
        # more members and restarts on small inputs: the sections, not only their number,
        # should depend on the texts rather than on the seed (see ensemble_runs)
        partitions = base_partitions(_as_views(X[rows], sample_views), k_values,
                                     runs=ensemble_runs(len(rows)),
                                     random_state=self.random_state, spectral=True)
        restarts = consensus_restarts(len(rows)) if len(X) <= ENSEMBLE_SAMPLE else \
            min(n_init, CONSENSUS_MIN_INIT)
        labels = consensus_labels(partitions, k, random_state=self.random_state,
                                  n_init=restarts)
        if len(rows) < len(X):
            centres = normalize(np.vstack([X[rows][labels == c].mean(axis=0)
                                           for c in np.unique(labels)]))
            labels = np.concatenate([
                np.argmax(X[start:start + ASSIGN_CHUNK] @ centres.T, axis=1)
                for start in range(0, len(X), ASSIGN_CHUNK)
            ])
        self.labels_ = pd.factorize(labels)[0].astype(int)
        self.n_clusters_ = int(self.labels_.max()) + 1
        self.cluster_centers_ = np.vstack(
            [X[self.labels_ == c].mean(axis=0) for c in range(self.n_clusters_)]
        )
        return self


def _extend_centers(X: np.ndarray, centers: np.ndarray, k: int) -> np.ndarray:
    """Add the points farthest from the given centres until there are ``k`` centres."""
    centers = list(centers)
    while len(centers) < k:
        similarity = X @ np.asarray(centers).T
        centers.append(X[int(np.argmin(similarity.max(axis=1)))])
    return np.asarray(centers, dtype=np.float32)
