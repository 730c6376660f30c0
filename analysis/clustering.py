"""Clustering of document vectors, with the number of sections chosen automatically.

:class:`ProposalClusterer` runs KMeans on the unit-length vectors of
:class:`~analysis.features.ProposalVectorizer` (on unit vectors, Euclidean KMeans is
spherical/cosine KMeans up to a constant). When ``n_clusters`` is ``None``,
:func:`choose_n_clusters` scores every k in ``2..min(k_max, n-1)`` on a seeded sample.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score
from sklearn.utils import check_random_state

logger = logging.getLogger(__name__)

#: Above this many texts, KMeans runs in mini-batches and k is chosen on a sample.
LARGE_N = 20000


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
    if len(vectors) > LARGE_N:
        model = MiniBatchKMeans(
            n_clusters=n_clusters, init=init, n_init=min(n_init, 3), batch_size=4096,
            random_state=random_state,
        )
    else:
        model = KMeans(n_clusters=n_clusters, init=init, n_init=n_init, random_state=random_state)
    return model.fit(vectors)


def score_n_clusters(vectors, k_values, *, random_state=0, n_init=3) -> dict[int, float]:
    """Score candidate numbers of clusters.

    The score is the cosine silhouette of a KMeans partition plus a small bonus for
    agreement between two differently seeded runs (stability): silhouette alone favours
    very few clusters on text, stability alone favours whatever is easy to reproduce.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
        Unit-length rows (a sample for large inputs).
    k_values : iterable of int
    random_state : int, default=0
    n_init : int, default=3

    Returns
    -------
    dict
        ``{k: score}``; higher is better.
    """
    from sklearn.metrics import adjusted_rand_score

    scores = {}
    for k in k_values:
        first = fit_kmeans(vectors, k, random_state=random_state, n_init=n_init).labels_
        second = fit_kmeans(vectors, k, random_state=random_state + 1, n_init=n_init).labels_
        if len(set(first)) < 2:
            continue
        silhouette = silhouette_score(vectors, first, metric="cosine", random_state=random_state)
        stability = adjusted_rand_score(first, second)
        scores[k] = float(silhouette + 0.1 * stability)
    return scores


def choose_n_clusters(
    vectors, *, k_min=2, k_max=15, random_state=0, sample_size=1500
) -> tuple[int, dict[int, float]]:
    """Choose the number of clusters for ``vectors``.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    k_min, k_max : int, default=2, 15
        Candidate range (clamped to ``n - 1`` distinct points and to ``sqrt(n / 2) + 1``).
    random_state : int, default=0
    sample_size : int, default=1500
        Larger inputs are scored on a seeded sample of this size.

    Returns
    -------
    k : int
        Chosen number of clusters (1 when fewer than 3 distinct points).
    scores : dict
        ``{k: score}`` of every candidate.
    """
    distinct = count_distinct_rows(vectors)
    # Silhouette keeps rising with k on short texts; the sqrt(n/2) rule of thumb caps k for
    # small inputs (32 texts -> at most 5 sections, 426 -> 15).
    upper = min(k_max, distinct - 1, int(np.ceil(np.sqrt(len(vectors) / 2))) + 1)
    if upper < k_min:
        return max(1, min(distinct, 1)), {}
    sample = vectors
    if len(vectors) > sample_size:
        rng = check_random_state(random_state)
        sample = vectors[rng.choice(len(vectors), sample_size, replace=False)]
    scores = score_n_clusters(sample, range(k_min, upper + 1), random_state=random_state)
    if not scores:
        return 1, {}
    best = max(scores, key=lambda k: (round(scores[k], 6), -k))
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

    def fit(self, X, y=None, init_centers=None):
        """Cluster the rows of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n, d)
        y : ignored
        init_centers : ndarray of shape (m, d), optional
            Centres of previous sections; used as the first ``m`` initial centres so that a
            re-run keeps its sections where the data still supports them.

        Returns
        -------
        self
        """
        X = np.asarray(X, dtype=np.float32)
        distinct = count_distinct_rows(X)
        self.k_scores_ = {}
        if self.n_clusters is None:
            k, self.k_scores_ = choose_n_clusters(
                X, k_min=self.k_min, k_max=self.k_max, random_state=self.random_state
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
        init = "k-means++"
        if init_centers is not None and len(init_centers):
            init = _extend_centers(X, np.asarray(init_centers, dtype=np.float32)[:k], k)
        # restarts matter on small inputs; on large ones KMeans is stable and costly
        n_init = self.n_init if len(X) <= 2000 else max(3, self.n_init // 4)
        model = fit_kmeans(X, k, random_state=self.random_state, n_init=n_init, init=init)
        self.labels_ = model.labels_.astype(int)
        self.cluster_centers_ = model.cluster_centers_
        return self


def _extend_centers(X: np.ndarray, centers: np.ndarray, k: int) -> np.ndarray:
    """Add the points farthest from the given centres until there are ``k`` centres."""
    centers = list(centers)
    while len(centers) < k:
        similarity = X @ np.asarray(centers).T
        centers.append(X[int(np.argmin(similarity.max(axis=1)))])
    return np.asarray(centers, dtype=np.float32)
