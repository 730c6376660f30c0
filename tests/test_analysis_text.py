"""Unit tests of the text, feature, clustering and duplicate steps of ``analysis``."""

import numpy as np
import pandas as pd
import pytest

from analysis.clustering import (
    CLEAR_STRUCTURE_SCORE,
    ProposalClusterer,
    choose_n_clusters,
    count_distinct_rows,
    readable_k,
)
from analysis.duplicates import find_duplicates, most_similar
from analysis.features import ProposalVectorizer, prepare_texts
from analysis.text import (
    analyse_text,
    detect_language,
    lemmatize_ru,
    normalize_text,
    tokenize,
)


def test_normalize_text_lowercases_replaces_yo_and_drops_links_and_numbers():
    text = "Ёлка в БИБЛИОТЕКЕ №5: https://lib.ru/x?y=1 и 2024 год, пишите a@b.ru"
    assert normalize_text(text) == "елка в библиотеке и год пишите"


@pytest.mark.parametrize("value", [None, float("nan"), ""])
def test_normalize_text_accepts_missing_values(value):
    assert normalize_text(value) == ""


def test_normalize_text_cuts_very_long_texts():
    assert len(normalize_text("слово " * 10000, max_chars=5000)) <= 5000


def test_tokenize_keeps_hyphenated_words_and_skips_punctuation_and_single_letters():
    assert tokenize("онлайн-клуб, и я: книги!!! 😀") == ["онлайн-клуб", "книги"]


@pytest.mark.parametrize(
    "text, language",
    [
        ("Открыть клуб чтения в библиотеке", "ru"),
        ("Open a reading club in the library", "en"),
        ("Mehr Radwege und günstige Öffis für alle", "de"),
        ("", "ru"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(normalize_text(text)) == language


def test_russian_lemmas_and_english_stems_without_stop_words():
    language, lemmas = analyse_text("Мы предлагаем открыть клубы для детей в библиотеках")
    assert language == "ru"
    assert lemmas == ["открыть", "клуб", "ребенок", "библиотека"]
    language, stems = analyse_text("Libraries should open reading clubs")
    assert language == "en"
    assert stems == ["librari", "read", "club"]  # "should", "open" are stop words


def test_lemmatisation_is_cached_per_token():
    lemmatize_ru.cache_clear()
    for _ in range(3):
        lemmatize_ru("библиотеках")
    info = lemmatize_ru.cache_info()
    assert info.misses == 1 and info.hits == 2


def test_only_stop_words_digits_emoji_and_links_give_no_lemmas():
    assert analyse_text("и в на 123 45,6 😀🎉 https://example.org")[1] == []


def test_prepare_texts_has_one_row_per_text():
    prepared = prepare_texts(["Клуб чтения", None, "", "Reading club"])
    assert list(prepared["n_lemmas"]) == [2, 0, 0, 2]
    assert list(prepared["language"]) == ["ru", "ru", "ru", "en"]


def test_vectorizer_rows_are_unit_length_and_small_inputs_work():
    prepared = prepare_texts(["клуб чтения детей", "клуб настольных игр", "ремонт здания"])
    vectors = ProposalVectorizer(use_word_vectors=False).fit_transform(prepared)
    assert vectors.shape[0] == 3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_vectorizer_follows_the_estimator_contract():
    vectorizer = ProposalVectorizer(n_components=7)
    assert vectorizer.get_params()["n_components"] == 7
    assert not hasattr(vectorizer, "svd_")
    prepared = prepare_texts([f"текст номер {w}" for w in "один два три четыре".split()])
    assert vectorizer.fit(prepared) is vectorizer
    assert hasattr(vectorizer, "word_vectorizer_")


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    centres = np.eye(4, 20) * 5
    points = np.vstack([c + rng.normal(scale=0.3, size=(25, 20)) for c in centres])
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def test_choose_n_clusters_finds_clear_blobs():
    k, scores = choose_n_clusters(_blobs())
    assert k == 4
    # candidates of K_GRID, capped at ceil(sqrt(100 / 2)) + 1
    assert set(scores) == {2, 3, 4, 5, 6, 7, 8}


def test_without_a_clear_grouping_k_is_sized_for_the_reader():
    assert [readable_k(n) for n in (0, 2, 12, 19, 20, 42, 100, 150, 5000)] == [
        2, 2, 5, 6, 5, 8, 12, 15, 15]
    rng = np.random.default_rng(0)

    def unit_noise():
        noise = rng.normal(size=(200, 20))
        return noise / np.linalg.norm(noise, axis=1, keepdims=True)

    # views that agree on nothing, as lemma, character and word-vector views of short texts
    # with overlapping topics nearly do
    k, scores = choose_n_clusters(unit_noise(), views={"a": unit_noise(), "b": unit_noise()})
    assert max(scores.values()) < CLEAR_STRUCTURE_SCORE
    assert k == readable_k(200) == 15


def test_the_chosen_k_does_not_depend_on_the_seed():
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(120, 10))
    chosen = {choose_n_clusters(_blobs(), random_state=seed)[0] for seed in range(4)}
    assert chosen == {4}
    chosen = {ProposalClusterer(random_state=seed).fit(noise).n_clusters_ for seed in range(3)}
    assert len(chosen) == 1


def test_clusterer_clamps_k_to_distinct_points_and_is_deterministic():
    points = np.repeat(np.eye(3, 5), 4, axis=0)
    model = ProposalClusterer(n_clusters=10).fit(points)
    assert model.n_clusters_ == 3 == count_distinct_rows(points)
    again = ProposalClusterer(n_clusters=10).fit(points)
    assert (model.labels_ == again.labels_).all()


def test_find_duplicates_catches_typos_and_ignores_different_texts():
    frame = pd.DataFrame({"id": [1, 2, 3], "text": [
        "Открыть в библиотеке клуб настольных игр для подростков",
        "Открыть в библеотеке клуб настольных игр для подростков!",
        "Отремонтировать крышу здания сельской библиотеки",
    ]})
    pairs = find_duplicates(frame, threshold=0.8)
    assert list(pairs[["id_a", "id_b"]].itertuples(index=False, name=None)) == [(1, 2)]
    assert pairs["similarity"].iloc[0] >= 0.8


def test_most_similar_ranks_the_related_text_first():
    frame = pd.DataFrame({"id": ["a", "b", "c"], "text": [
        "Клуб настольных игр для подростков",
        "Ремонт крыши здания библиотеки",
        "Курсы компьютерной грамотности для пенсионеров",
    ]})
    hits = most_similar("настольные игры для подростков в библиотеке", frame, top_n=2)
    assert hits["id"].iloc[0] == "a"
    assert (hits["similarity"] >= 0.2).all()
    assert most_similar("", frame).empty


def test_duplicate_pairs_can_reuse_a_given_character_matrix():
    from analysis.duplicates import char_tfidf, duplicate_pairs

    texts = ["ремонт крыши библиотеки", "ремонт крыши библиотеки срочно", "клуб настольных игр"]
    matrix = char_tfidf(texts)
    assert duplicate_pairs(texts, 0.7, matrix=matrix) == duplicate_pairs(texts, 0.7)


