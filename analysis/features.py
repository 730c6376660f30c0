"""From raw texts to dense, L2-normalised document vectors.

Stages (each can be switched off through :class:`ProposalVectorizer` parameters):

1. :func:`prepare_texts` normalises, detects the language and lemmatises each text once.
2. Lemma TF-IDF with bigrams (sublinear tf) and character 3–5-gram TF-IDF inside word
   boundaries (robust to typos and unknown words) are each reduced with LSA
   (``TruncatedSVD`` fitted on a sample + L2 normalisation).
3. Optionally, the mean navec word vector of each Russian text (the ``natasha`` wheel ships
   the vectors; nothing is downloaded) is a third view. The weighted concatenation of the
   views, L2-normalised, is the document vector; the views themselves feed the consensus
   clustering (:mod:`analysis.clustering`).
"""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from .text import (
    COMPOUND_LANGUAGES,
    COMPOUND_MIN_PART,
    MAX_TEXT_CHARS,
    analyse_normalized,
    compound_parts,
    normalize_text,
)

logger = logging.getLogger(__name__)

NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"
#: Terms must occur in at least MIN_DF texts (one-off words and typos only add noise) and in
#: at most MAX_DF of them (words in most texts tell no section apart).
MIN_DF, MAX_DF = 2, 0.5
#: Below this many texts the bounds above would empty the vocabulary: every term is kept.
SMALL_INPUT_DOCS = 10
#: Texts transformed at once: bounds the peak memory of the sparse matrices at 100,000 texts.
CHUNK_ROWS = 10000
#: Word vectors (navec) are Russian: they are used only when most texts are Russian.
WORD_VECTOR_LANGUAGE = "ru"


def compound_vocabulary(lemma_docs, languages, min_part: int = COMPOUND_MIN_PART) -> frozenset:
    """The stems that may be parts of compounds: every stem of at least ``min_part`` letters
    of the texts in a compounding language (the texts' own words, no dictionary)."""
    return frozenset(
        lemma for doc, language in zip(lemma_docs, languages)
        if language in COMPOUND_LANGUAGES for lemma in str(doc).split() if len(lemma) >= min_part
    )


def with_compound_parts(lemma_docs, languages, vocabulary: frozenset,
                        min_part: int = COMPOUND_MIN_PART) -> list[str]:
    """Lemma documents where each compound of a compounding language also counts as its
    parts (:func:`~analysis.text.compound_parts`).

    Without the parts, two German texts about energy («Solarenergie», «Energiewende») share
    no term, and short inputs (tenths of the German sample, ~73 texts) fall to the plain
    baseline. Parts are appended, so the lemma's own n-grams are kept.
    """
    parts_of: dict[str, list[str]] = {}

    def parts(lemma: str) -> list[str]:
        found = parts_of.get(lemma)
        if found is None:
            found = parts_of[lemma] = compound_parts(lemma, vocabulary, min_part)
        return found

    documents = []
    for doc, language in zip(lemma_docs, languages):
        doc = str(doc)
        if language in COMPOUND_LANGUAGES and vocabulary:
            extra = [part for lemma in doc.split() for part in parts(lemma)]
            if extra:
                doc = doc + " " + " ".join(extra)
        documents.append(doc)
    return documents


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


_NAVEC_LOCK = threading.Lock()
_NAVEC: dict = {}  # "model" -> the loaded vectors or None, filled once under _NAVEC_LOCK


def load_navec():
    """Load the navec vectors shipped in the ``natasha`` wheel, or ``None`` if unavailable.

    Loaded once per process under a lock: the file is ~50 MB, and threads grouping
    tracks in parallel must neither load it twice nor see a half-built model.

    Returns
    -------
    navec.Navec or None
        The loaded model; ``None`` when ``navec``/``natasha`` are not installed (the pipeline
        then works on TF-IDF features alone).
    """
    if "model" not in _NAVEC:
        with _NAVEC_LOCK:
            if "model" not in _NAVEC:
                _NAVEC["model"] = _read_navec()
    return _NAVEC["model"]


def _read_navec():
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
    except (ImportError, OSError, ValueError) as error:  # a broken optional dependency
        # must not stop the analysis: it then runs on TF-IDF features alone
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
    index: dict[str, int] = {}  # distinct known token -> row of ``table``
    table = []
    unknown = set()
    rows, cols = [], []
    for row, doc in enumerate(token_docs):
        for token in doc.split():
            column = index.get(token)
            if column is None:
                if token in unknown:
                    continue
                vector = navec.get(token)
                if vector is None:
                    unknown.add(token)
                    continue
                column = index[token] = len(table)
                table.append(vector)
            rows.append(row)
            cols.append(column)
    if not table:
        return np.zeros((len(token_docs), dim), dtype=np.float32), np.zeros(len(token_docs), bool)
    # the mean of a text's token vectors, repeats counted (its direction: rows are normalised)
    counts = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                           shape=(len(token_docs), len(table)))
    vectors = np.asarray(counts @ np.asarray(table, dtype=np.float32), dtype=np.float32)
    covered = np.diff(counts.indptr) > 0
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
    split_compounds : bool, default=True
        Let German compounds also count as their parts in the lemma view
        (:func:`with_compound_parts`).
    fit_sample_size : int, default=20000
        Vectorisers and LSA are fitted on at most this many texts (a seeded sample), then all
        texts are transformed in chunks: memory stays flat at 100,000 texts.
    svd_sample_size : int, default=5000
        Each LSA is fitted on at most this many of those texts.
    random_state : int, default=0
        Seed for LSA and the fitting sample.

    Attributes
    ----------
    word_vectorizer_ : TfidfVectorizer
        Fitted lemma TF-IDF (also used for key terms).
    char_vectorizer_ : WordCharTfidf or None
        ``char_wb`` TF-IDF (as scikit-learn's, computed per distinct word).
    svd_ : TruncatedSVD or None
        LSA of the lemma TF-IDF; ``None`` when the vocabulary was too small for LSA.
    char_svd_ : TruncatedSVD or None
        LSA of the character TF-IDF.
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
        split_compounds=True,
        fit_sample_size=20000,
        svd_sample_size=5000,
        random_state=0,
    ):
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.char_weight = char_weight
        self.n_components = n_components
        self.use_word_vectors = use_word_vectors
        self.word_vector_weight = word_vector_weight
        self.split_compounds = split_compounds
        self.fit_sample_size = fit_sample_size
        self.svd_sample_size = svd_sample_size
        self.random_state = random_state

    def _document_frequency_bounds(self, n_docs: int) -> tuple[int, float]:
        # On tiny inputs min_df=2/max_df=0.5 would empty the vocabulary.
        if n_docs < SMALL_INPUT_DOCS:
            return 1, 1.0
        return MIN_DF, MAX_DF

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
        self._fit(prepared)
        self._fitted = None
        return self

    def _fit(self, prepared: pd.DataFrame):
        """Fit; keep the sparse matrices of the fitted texts when they are all the texts."""
        sample = prepared
        if len(prepared) > self.fit_sample_size:
            sample = prepared.sample(self.fit_sample_size, random_state=self.random_state)
        min_df, max_df = self._document_frequency_bounds(len(sample))
        self.word_vectorizer_ = TfidfVectorizer(
            token_pattern=r"\S+", ngram_range=tuple(self.word_ngram_range), min_df=min_df,
            max_df=max_df, sublinear_tf=True, dtype=np.float32,
        )
        self.compound_vocabulary_ = frozenset()
        if self.split_compounds and "language" in sample.columns:
            self.compound_vocabulary_ = compound_vocabulary(sample["lemmas"], sample["language"])
        word_matrix = _fit_or_empty(self.word_vectorizer_, self._lemma_docs(sample))
        self.char_vectorizer_ = None
        char_matrix = None
        if self.char_ngram_range:
            self.char_vectorizer_ = WordCharTfidf(
                ngram_range=tuple(self.char_ngram_range), min_df=min_df, max_df=max_df,
            )
            char_matrix = _fit_or_empty(self.char_vectorizer_, sample["normalized"])
        # One LSA per view: the lemma and character views are also clustered separately
        # (consensus of views), and their concatenation is the document vector.
        self.svd_ = self._fit_svd(word_matrix)
        self.char_svd_ = self._fit_svd(char_matrix) if char_matrix is not None else None
        self.navec_ = load_navec() if self.use_word_vectors else None
        self.word_vectors_used_ = False
        # navec knows Russian words; a few German ones it also lists would only add noise
        russian = "language" not in sample.columns or bool(
            (sample["language"] == WORD_VECTOR_LANGUAGE).mean() >= 0.5)
        if self.navec_ is not None and russian:
            _, covered = mean_word_vectors(list(sample["tokens"]), self.navec_)
            self.word_vectors_used_ = bool(covered.mean() >= 0.5) if len(covered) else False
        self.n_features_out_ = self.transform(sample.iloc[:1]).shape[1]
        if sample is prepared:
            self._fitted = (word_matrix, char_matrix)
        else:
            self._fitted = None
        return self

    def _lemma_docs(self, prepared: pd.DataFrame):
        """The lemma documents of the lemma view (German compounds with their parts)."""
        vocabulary = getattr(self, "compound_vocabulary_", frozenset())
        if not vocabulary or "language" not in prepared.columns:
            return prepared["lemmas"]
        return with_compound_parts(prepared["lemmas"], prepared["language"], vocabulary)

    def _fit_svd(self, matrix: sp.csr_matrix) -> TruncatedSVD | None:
        n_components = min(self.n_components, matrix.shape[1] - 1, matrix.shape[0] - 1)
        if n_components < 2:
            return None
        svd = TruncatedSVD(n_components=n_components, random_state=self.random_state)
        rows = matrix
        if matrix.shape[0] > self.svd_sample_size:  # LSA axes from a sample are as good
            rng = np.random.default_rng(self.random_state)
            rows = matrix[np.sort(rng.choice(matrix.shape[0], self.svd_sample_size, False))]
        with warnings.catch_warnings():
            # identical texts: zero variance makes explained_variance_ratio_ divide by 0
            warnings.simplefilter("ignore", RuntimeWarning)
            svd.fit(rows)
        return svd

    def fit_transform(self, prepared: pd.DataFrame, y=None) -> np.ndarray:
        """Fit, then vectorise; reuses the fitted TF-IDF matrices instead of rebuilding them.

        Parameters
        ----------
        prepared : DataFrame
            Output of :func:`prepare_texts`.
        y : ignored

        Returns
        -------
        ndarray of shape (n_texts, n_features_out_), float32
        """
        return self.fit_transform_views(prepared)[0]

    def fit_transform_views(self, prepared: pd.DataFrame):
        """Fit, then return the document vectors, the separate views and the char matrix.

        Returns
        -------
        vectors : ndarray of shape (n_texts, n_features_out_), float32
        views : dict of str to ndarray
            Unit-length rows of each view: ``lemma`` (lemma LSA), ``char`` (character LSA,
            if enabled) and ``navec`` (if used); the consensus clustering runs on each.
        char_matrix : scipy.sparse.csr_matrix or None
            L2-normalised character TF-IDF of the texts (reused by the duplicate search).
        """
        self._fit(prepared)
        cached, self._fitted = self._fitted, None
        n, step = len(prepared), CHUNK_ROWS
        views, vectors, chars = {}, None, []
        for start in range(0, n, step):
            chunk = prepared.iloc[start:start + step]
            if cached is not None:
                word = cached[0][start:start + step]
                char = cached[1][start:start + step] if cached[1] is not None else None
            else:
                word, char = self._sparse_blocks(chunk)
            part = self._views_from_sparse(word, char, chunk)
            chars.append(part.pop("_char"))
            combined = self._combine(part)
            if vectors is None:  # preallocate: no stacked copies of 100,000-row arrays
                vectors = np.empty((n, combined.shape[1]), dtype=np.float32)
                views = {name: np.empty((n, v.shape[1]), dtype=np.float32)
                         for name, v in part.items()}
            vectors[start:start + len(chunk)] = combined
            for name, v in part.items():
                views[name][start:start + len(chunk)] = v
        char_matrix = sp.vstack(chars).tocsr() if chars and chars[0] is not None else None
        return vectors, views, char_matrix

    def _sparse_blocks(self, prepared: pd.DataFrame):
        word = _transform_or_empty(self.word_vectorizer_, self._lemma_docs(prepared))
        char = None
        if self.char_vectorizer_ is not None:
            char = _transform_or_empty(self.char_vectorizer_, prepared["normalized"])
        return word, char

    def transform(self, prepared: pd.DataFrame, chunk_size: int = CHUNK_ROWS) -> np.ndarray:
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
        parts = []
        for start in range(0, len(prepared), chunk_size):
            chunk = prepared.iloc[start:start + chunk_size]
            views = self._views_from_sparse(*self._sparse_blocks(chunk), chunk)
            views.pop("_char")
            parts.append(self._combine(views))
        if not parts:
            return np.zeros((0, getattr(self, "n_features_out_", 1)), dtype=np.float32)
        return np.vstack(parts)

    @staticmethod
    def _reduce(svd, matrix):
        if matrix is None:
            return None
        if svd is not None:
            return normalize(svd.transform(matrix)).astype(np.float32)
        return normalize(matrix).toarray().astype(np.float32)

    def _views_from_sparse(self, word, char, chunk: pd.DataFrame) -> dict:
        views = {"lemma": self._reduce(self.svd_, word)}
        if char is not None:
            views["char"] = self._reduce(self.char_svd_, char)
        if self.word_vectors_used_:
            views["navec"], _ = mean_word_vectors(list(chunk["tokens"]), self.navec_)
        views["_char"] = normalize(char).astype(np.float32) if char is not None else None
        return views

    def _combine(self, views: dict) -> np.ndarray:
        blocks = [views["lemma"]]
        if "char" in views:
            blocks.append(self.char_weight * views["char"])
        if "navec" in views:
            blocks.append(self.word_vector_weight * views["navec"])
        return normalize(np.hstack(blocks), copy=False).astype(np.float32, copy=False)


class WordCharTfidf:
    """``TfidfVectorizer(analyzer="char_wb", sublinear_tf=True)``, computed per distinct word.

    ``char_wb`` n-grams never cross a space, so a text's n-gram counts are the sum of its
    words' counts: (texts × words) @ (words × n-grams). Each distinct word is cut into
    n-grams once instead of at every occurrence: the same matrix (same vocabulary, same
    document-frequency bounds, smoothed idf, sublinear tf, L2 rows), several times faster on
    thousands of texts whose words repeat.

    Parameters
    ----------
    ngram_range : tuple of int
    min_df : int or float, max_df : int or float
        As in scikit-learn (a float is a share of the fitted texts).
    dtype : numpy dtype, default=float32

    Attributes
    ----------
    vocabulary_ : dict of str to int
        N-gram → column, in sorted order (as scikit-learn's).
    """

    def __init__(self, ngram_range=(3, 5), min_df=1, max_df=1.0, dtype=np.float32):
        self.ngram_range = tuple(ngram_range)
        self.min_df = min_df
        self.max_df = max_df
        self.dtype = dtype
        self._analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=self.ngram_range,
                                         lowercase=False).build_analyzer()
        self._grams_of: dict[str, list[str]] = {}

    def _grams(self, word: str) -> list[str]:
        grams = self._grams_of.get(word)
        if grams is None:
            grams = self._grams_of[word] = self._analyzer(word)
        return grams

    def _counts(self, docs, vocabulary: dict | None):
        """Texts × n-grams counts; a new n-gram vocabulary when ``vocabulary`` is None."""
        words: dict[str, int] = {}
        rows, cols = [], []
        for row, doc in enumerate(docs):
            for word in str(doc).split():
                rows.append(row)
                cols.append(words.setdefault(word, len(words)))
        text_words = sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)),
                                   shape=(len(docs), len(words)))
        grow = vocabulary is None
        if grow:
            vocabulary = {}
        w_rows, w_cols = [], []
        for word, index in words.items():
            for gram in self._grams(word):
                column = vocabulary.setdefault(gram, len(vocabulary)) if grow else \
                    vocabulary.get(gram)
                if column is not None:
                    w_rows.append(index)
                    w_cols.append(column)
        word_grams = sp.csr_matrix((np.ones(len(w_rows), dtype=np.int64), (w_rows, w_cols)),
                                   shape=(len(words), len(vocabulary)))
        return (text_words @ word_grams).tocsr(), vocabulary

    def fit_transform(self, docs, y=None) -> sp.csr_matrix:
        docs = list(docs)
        counts, vocabulary = self._counts(docs, None)
        if not vocabulary:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        n = len(docs)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        low = self.min_df if isinstance(self.min_df, (int, np.integer)) else self.min_df * n
        high = self.max_df if isinstance(self.max_df, (int, np.integer)) else self.max_df * n
        grams = np.array(list(vocabulary), dtype=object)
        kept = np.flatnonzero((df >= low) & (df <= high))
        if not len(kept):
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher "
                             "max_df.")
        kept = kept[np.argsort(grams[kept])]  # scikit-learn's sorted column order
        self.vocabulary_ = {gram: i for i, gram in enumerate(grams[kept])}
        counts = counts[:, kept]
        self._tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        return self._tfidf.transform(counts).astype(self.dtype)

    def fit(self, docs, y=None):
        self.fit_transform(docs)
        return self

    def transform(self, docs) -> sp.csr_matrix:
        docs = list(docs)
        counts, _ = self._counts(docs, self.vocabulary_)
        counts.sort_indices()
        return self._tfidf.transform(counts).astype(self.dtype)


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
