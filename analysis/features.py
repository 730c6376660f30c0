"""From raw texts to dense, L2-normalised document vectors.

Stages (each can be switched off through :class:`ProposalVectorizer` parameters):

1. :func:`prepare_texts` normalises, detects the language and lemmatises each text once.
2. Lemma TF-IDF with bigrams (sublinear tf) and character 3–5-gram TF-IDF inside word
   boundaries (robust to typos and unknown words) are stacked and reduced with LSA
   (``TruncatedSVD`` + L2 normalisation).
3. Optionally, the mean navec word vector of each Russian text (the ``natasha`` wheel ships
   the vectors; nothing is downloaded) is appended, then the whole row is L2-normalised.

On the shared Russian sample, stacking LSA with navec means lifts NMI from about 0.43
(lemma TF-IDF + LSA alone) to about 0.49.
"""

from __future__ import annotations

import logging
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from .text import MAX_TEXT_CHARS, analyse_normalized, normalize_text

logger = logging.getLogger(__name__)

NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"


def prepare_texts(texts: pd.Series | list, max_chars: int = MAX_TEXT_CHARS) -> pd.DataFrame:
    """Analyse every text once: normalised form, language, content lemmas and raw tokens.

    Parameters
    ----------
    texts : Series or list
        Raw texts; missing values count as empty texts.
    max_chars : int, default=5000
        Longer texts are cut to this many characters.

    Returns
    -------
    DataFrame
        Columns ``normalized`` (str), ``language`` ('ru'/'en'/'de'), ``lemmas`` (str, lemmas
        joined by spaces), ``tokens`` (str, content word forms joined by spaces, used for word
        vectors) and ``n_lemmas`` (int). The index is ``range(len(texts))``.
    """
    rows = []
    for raw in list(texts):
        normal = normalize_text(raw, max_chars)
        language, lemmas, tokens = analyse_normalized(normal)
        rows.append((normal, language, " ".join(lemmas), " ".join(tokens), len(lemmas)))
    return pd.DataFrame(rows, columns=["normalized", "language", "lemmas", "tokens", "n_lemmas"])


@lru_cache(maxsize=1)
def load_navec():
    """Load the navec vectors shipped in the ``natasha`` wheel, or ``None`` if unavailable.

    Returns
    -------
    navec.Navec or None
        The loaded model; ``None`` when ``navec``/``natasha`` are not installed (the pipeline
        then works on TF-IDF features alone).
    """
    try:
        import importlib.util

        from navec import Navec

        spec = importlib.util.find_spec("natasha")
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(list(spec.submodule_search_locations)[0]) / "data" / "emb" / NAVEC_FILE
        if not path.exists():
            return None
        return Navec.load(str(path))
    except Exception as error:  # a broken optional dependency must not stop the analysis
        logger.warning("navec vectors unavailable: %s", error)
        return None


def mean_word_vectors(token_docs: list[str], navec) -> tuple[np.ndarray, np.ndarray]:
    """Average navec vectors of the known tokens of each document.

    Parameters
    ----------
    token_docs : list of str
        Space-separated word forms.
    navec : navec.Navec
        Loaded vectors.

    Returns
    -------
    vectors : ndarray of shape (n_docs, dim), float32
        L2-normalised mean vectors (zeros where no token is known).
    covered : ndarray of bool
        Whether a document had at least one known token.
    """
    dim = navec.pq.dim
    vectors = np.zeros((len(token_docs), dim), dtype=np.float32)
    cache: dict[str, np.ndarray | None] = {}
    for row, doc in enumerate(token_docs):
        known = []
        for token in doc.split():
            if token not in cache:
                cache[token] = navec.get(token)
            if cache[token] is not None:
                known.append(cache[token])
        if known:
            vectors[row] = np.mean(known, axis=0)
    covered = np.abs(vectors).sum(axis=1) > 0
    return normalize(vectors), covered


class ProposalVectorizer(TransformerMixin, BaseEstimator):
    """Turn prepared texts into dense, L2-normalised vectors (TF-IDF + LSA [+ navec]).

    Parameters
    ----------
    word_ngram_range : tuple of int, default=(1, 2)
        N-gram range over lemmas.
    char_ngram_range : tuple of int or None, default=(3, 5)
        ``char_wb`` n-gram range over normalised text; ``None`` switches it off.
    char_weight : float, default=0.5
        Weight of the character block relative to the lemma block before LSA.
    n_components : int, default=100
        LSA dimensions (clamped to the data size).
    use_word_vectors : bool, default=True
        Append mean navec vectors when available and when at least half of the texts are
        covered by them.
    word_vector_weight : float, default=0.75
        Weight of the navec block relative to the (unit-length) LSA block.
    fit_sample_size : int, default=20000
        Vectorisers and LSA are fitted on at most this many texts (a seeded sample), then all
        texts are transformed in chunks: memory stays flat at 100,000 texts.
    random_state : int, default=0
        Seed for LSA and the fitting sample.

    Attributes
    ----------
    word_vectorizer_ : TfidfVectorizer
        Fitted lemma TF-IDF (also used for key terms).
    char_vectorizer_ : TfidfVectorizer or None
    svd_ : TruncatedSVD or None
        ``None`` when the vocabulary was too small for LSA.
    word_vectors_used_ : bool
    n_features_out_ : int
    """

    def __init__(
        self,
        word_ngram_range=(1, 2),
        char_ngram_range=(3, 5),
        char_weight=0.5,
        n_components=100,
        use_word_vectors=True,
        word_vector_weight=0.75,
        fit_sample_size=20000,
        random_state=0,
    ):
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.char_weight = char_weight
        self.n_components = n_components
        self.use_word_vectors = use_word_vectors
        self.word_vector_weight = word_vector_weight
        self.fit_sample_size = fit_sample_size
        self.random_state = random_state

    def _document_frequency_bounds(self, n_docs: int) -> tuple[int, float]:
        # On tiny inputs min_df=2/max_df=0.5 would empty the vocabulary.
        if n_docs < 10:
            return 1, 1.0
        return 2, 0.5

    def fit(self, prepared: pd.DataFrame, y=None):
        """Fit the vectorisers and LSA on (a sample of) prepared texts.

        Parameters
        ----------
        prepared : DataFrame
            Output of :func:`prepare_texts`.
        y : ignored

        Returns
        -------
        self
        """
        sample = prepared
        if len(prepared) > self.fit_sample_size:
            sample = prepared.sample(self.fit_sample_size, random_state=self.random_state)
        min_df, max_df = self._document_frequency_bounds(len(sample))
        self.word_vectorizer_ = TfidfVectorizer(
            token_pattern=r"\S+", ngram_range=tuple(self.word_ngram_range), min_df=min_df,
            max_df=max_df, sublinear_tf=True, dtype=np.float32,
        )
        word_matrix = _fit_or_empty(self.word_vectorizer_, sample["lemmas"])
        self.char_vectorizer_ = None
        blocks = [word_matrix]
        if self.char_ngram_range:
            self.char_vectorizer_ = TfidfVectorizer(
                analyzer="char_wb", ngram_range=tuple(self.char_ngram_range), min_df=min_df,
                max_df=max_df, sublinear_tf=True, dtype=np.float32,
            )
            char_matrix = _fit_or_empty(self.char_vectorizer_, sample["normalized"])
            blocks.append(self.char_weight * char_matrix)
        stacked = sp.hstack(blocks).tocsr()
        n_components = min(self.n_components, stacked.shape[1] - 1, len(sample) - 1)
        self.svd_ = None
        if n_components >= 2:
            self.svd_ = TruncatedSVD(n_components=n_components, random_state=self.random_state)
            with warnings.catch_warnings():
                # identical texts: zero variance makes explained_variance_ratio_ divide by 0
                warnings.simplefilter("ignore", RuntimeWarning)
                self.svd_.fit(stacked)
        self.navec_ = load_navec() if self.use_word_vectors else None
        self.word_vectors_used_ = False
        if self.navec_ is not None:
            _, covered = mean_word_vectors(list(sample["tokens"]), self.navec_)
            self.word_vectors_used_ = bool(covered.mean() >= 0.5) if len(covered) else False
        self.n_features_out_ = self.transform(sample.iloc[:1]).shape[1]
        self._fitted_sparse = (stacked, sample.index) if sample is prepared else None
        return self

    def fit_transform(self, prepared: pd.DataFrame, y=None) -> np.ndarray:
        """Fit, then vectorise; reuses the fitted TF-IDF matrix instead of rebuilding it.

        Parameters
        ----------
        prepared : DataFrame
            Output of :func:`prepare_texts`.
        y : ignored

        Returns
        -------
        ndarray of shape (n_texts, n_features_out_), float32
        """
        self.fit(prepared)
        cached, self._fitted_sparse = self._fitted_sparse, None
        if cached is None:
            return self.transform(prepared)
        return self._dense_from_sparse(cached[0], prepared)

    def sparse_features(self, prepared: pd.DataFrame) -> sp.csr_matrix:
        """Stacked lemma and character TF-IDF (before LSA) for the given texts."""
        check_is_fitted(self, "word_vectorizer_")
        blocks = [_transform_or_empty(self.word_vectorizer_, prepared["lemmas"])]
        if self.char_vectorizer_ is not None:
            char_matrix = _transform_or_empty(self.char_vectorizer_, prepared["normalized"])
            blocks.append(self.char_weight * char_matrix)
        return sp.hstack(blocks).tocsr()

    def transform(self, prepared: pd.DataFrame, chunk_size: int = 10000) -> np.ndarray:
        """Vectorise prepared texts in chunks.

        Parameters
        ----------
        prepared : DataFrame
            Output of :func:`prepare_texts`.
        chunk_size : int, default=10000
            Texts per chunk (bounds peak memory of the sparse matrices).

        Returns
        -------
        ndarray of shape (n_texts, n_features_out_), float32
            L2-normalised rows; texts without any known feature are all-zero rows.
        """
        check_is_fitted(self, "word_vectorizer_")
        parts = [
            self._transform_chunk(prepared.iloc[start:start + chunk_size])
            for start in range(0, len(prepared), chunk_size)
        ]
        if not parts:
            return np.zeros((0, getattr(self, "n_features_out_", 1)), dtype=np.float32)
        return np.vstack(parts)

    def _transform_chunk(self, chunk: pd.DataFrame) -> np.ndarray:
        return self._dense_from_sparse(self.sparse_features(chunk), chunk)

    def _dense_from_sparse(self, sparse: sp.csr_matrix, chunk: pd.DataFrame) -> np.ndarray:
        if self.svd_ is not None:
            dense = normalize(self.svd_.transform(sparse)).astype(np.float32)
        else:
            dense = normalize(sparse).toarray().astype(np.float32)
        if self.word_vectors_used_:
            vectors, _ = mean_word_vectors(list(chunk["tokens"]), self.navec_)
            dense = np.hstack([dense, self.word_vector_weight * vectors])
        return normalize(dense).astype(np.float32)


def _fit_or_empty(vectorizer: TfidfVectorizer, docs: pd.Series) -> sp.csr_matrix:
    """Fit a vectoriser; an empty vocabulary gives an (n, 0) matrix instead of an error."""
    try:
        return vectorizer.fit_transform(docs)
    except ValueError:  # "empty vocabulary": only stop words, digits or emoji
        vectorizer.vocabulary_ = {}
        return sp.csr_matrix((len(docs), 0), dtype=np.float32)


def _transform_or_empty(vectorizer: TfidfVectorizer, docs: pd.Series) -> sp.csr_matrix:
    if not getattr(vectorizer, "vocabulary_", None):
        return sp.csr_matrix((len(docs), 0), dtype=np.float32)
    return vectorizer.transform(docs).astype(np.float32)
