"""The feature stage's fast paths give the same numbers as the plain computations they replace."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from analysis.features import WordCharTfidf, load_navec, mean_word_vectors

TEXTS = [
    "ремонт дороги на улице ленина ямы на дороге",
    "яма на дороге возле школы дорога разбита",
    "освещение во дворе не работает фонарь",
    "фонари не горят во дворе темно",
    "мусор не вывозят контейнеры переполнены",
    "вывоз мусора контейнерная площадка грязная",
    "energiegemeinschaften fördern photovoltaik auf dächern",
    "photovoltaikanlagen auf allen öffentlichen dächern",
    "a",
    "",
]


@pytest.mark.parametrize("min_df, max_df", [(1, 1.0), (2, 0.5), (2, 3)])
def test_char_tfidf_per_word_equals_scikit_learns_char_wb(min_df, max_df):
    ours = WordCharTfidf((3, 5), min_df=min_df, max_df=max_df)
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=min_df,
                                max_df=max_df, sublinear_tf=True, dtype=np.float32)
    fitted, expected = ours.fit_transform(TEXTS[:8]), reference.fit_transform(TEXTS[:8])
    assert ours.vocabulary_ == reference.vocabulary_
    assert abs(fitted - expected).max() < 1e-6
    # unseen words still contribute the n-grams the vocabulary knows
    new = ["дорога к школе", "photovoltaik und dächer", "", "zzz"]
    assert abs(ours.transform(new) - reference.transform(new)).max() < 1e-6


def test_char_tfidf_without_any_ngram_raises_like_scikit_learn():
    with pytest.raises(ValueError):
        WordCharTfidf((3, 5)).fit_transform(["", " "])
    with pytest.raises(ValueError):  # every n-gram pruned
        WordCharTfidf((3, 5), min_df=5).fit_transform(["abc", "def"])


def test_mean_word_vectors_are_the_normalised_mean_of_the_known_tokens():
    navec = load_navec()
    if navec is None:
        pytest.skip("navec vectors not installed")
    docs = ["дорога дорога школа", "фонарь двор", "qqqzzz", "", "двор qqqzzz"]
    vectors, covered = mean_word_vectors(docs, navec)
    assert covered.tolist() == [True, True, False, False, True]
    for row, doc in enumerate(docs):
        known = [navec.get(t) for t in doc.split() if navec.get(t) is not None]
        expected = normalize(np.mean(known, axis=0)[None, :])[0] if known else 0 * vectors[row]
        assert np.allclose(vectors[row], expected, atol=1e-5)
