"""Shared pieces of describing sections: the «Прочее» title and closeness to a centre.

The titles, key terms and summaries themselves are built by :mod:`analysis.naming` from the
phrases of :mod:`analysis.phrases`.
"""

from __future__ import annotations

import numpy as np

OTHER_TITLE = "Прочее"
#: Tracks of at least this many texts have a «Прочее» for sections that cannot be named;
#: smaller tracks keep every section (the namer names it by what it mixes).
MIN_GROUP_FOR_OTHER = 20


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
