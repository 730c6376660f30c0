"""End-to-end tests of ``analysis.cluster_proposals`` and the CLI (no Flask fixtures).

The corpus below is written for these tests: 4 topics × 8 short library proposals.
"""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pymorphy3
import pytest
from sklearn.base import BaseEstimator
from sklearn.metrics import adjusted_rand_score

from analysis import ClusteringResult, cluster_proposals

REPO = Path(__file__).resolve().parents[1]

TOPICS = {
    "креатив": [
        "Создать креативное пространство в центральной библиотеке для молодёжи",
        "Открыть креативную мастерскую и коворкинг для местных дизайнеров",
        "Развитие креативных пространств в сельских библиотеках района",
        "Проводить в библиотеке фестиваль креативных индустрий и ремёсел",
        "Креативное пространство с мастерскими для художников и музыкантов",
        "Поддержать местных ремесленников: выставки и ярмарки в креативном пространстве",
        "Коворкинг и креативная лаборатория для молодых предпринимателей",
        "Развитие креативных индустрий через мастерские в библиотеках",
    ],
    "цифра": [
        "Курсы компьютерной грамотности для пенсионеров в каждой библиотеке",
        "Научить пожилых читателей пользоваться госуслугами через компьютер",
        "Цифровая грамотность: занятия по работе со смартфоном для старшего поколения",
        "Бесплатный интернет и компьютеры для читателей в сельских библиотеках",
        "Онлайн-курсы компьютерной грамотности и помощь с электронной почтой",
        "Обучение пенсионеров безопасности в интернете и работе с госуслугами",
        "Компьютерный класс и цифровые курсы для пожилых людей",
        "Цифровая грамотность для старшего поколения: курсы и консультации",
    ],
    "дети": [
        "Клуб настольных игр для подростков по выходным",
        "Летние чтения для детей и конкурс юных читателей",
        "Кружок робототехники для школьников в детской библиотеке",
        "Детский театр книги и громкие чтения для малышей",
        "Квесты по книгам для школьников и подростков",
        "Клуб юных читателей с настольными играми и конкурсами",
        "Летняя программа чтения для детей в детской библиотеке",
        "Подростковый книжный клуб и литературные квесты",
    ],
    "здание": [
        "Отремонтировать крышу и фасад здания библиотеки",
        "Заменить окна и отопление в здании сельской библиотеки",
        "Сделать пандус и доступную среду для людей на колясках",
        "Капитальный ремонт здания районной библиотеки",
        "Новая мебель и ремонт читального зала",
        "Ремонт отопления и замена окон в читальном зале",
        "Доступная среда: пандус, поручни и тактильная плитка у входа",
        "Ремонт фасада и крыши, новое освещение в здании",
    ],
}


def corpus(copies: int = 1) -> pd.DataFrame:
    rows = []
    for topic, texts in TOPICS.items():
        for position, text in enumerate(texts):
            for copy in range(copies):
                suffix = "" if copy == 0 else f" вариант {'абвгдежзик'[copy % 10]}"
                rows.append({"id": f"{topic}-{position}-{copy}", "text": text + suffix,
                             "label": topic, "votes": position % 3, "track": "A"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def result() -> ClusteringResult:
    return cluster_proposals(corpus(), k=4, random_state=0)


def test_result_shapes(result):
    frame = corpus()
    assert list(result.assignments["id"]) == list(frame["id"])
    assert {"id", "section", "section_title", "group", "is_representative",
            "rank_in_section"} <= set(result.assignments.columns)
    assert {"section", "group", "title", "key_terms", "size", "representative_ids",
            "votes_total"} <= set(result.sections.columns)
    assert result.sections["size"].sum() == len(frame)
    assert list(result.duplicates.columns) == ["id_a", "id_b", "similarity"]
    assert any("Разделов: 4" in message for message in result.log)


def test_k_given_recovers_the_topics(result):
    assert adjusted_rand_score(corpus()["label"], result.assignments["section"]) > 0.6


def test_automatic_k_recovers_the_topics():
    automatic = cluster_proposals(corpus(), random_state=0)
    assert 3 <= automatic.sections.shape[0] <= 6
    assert adjusted_rand_score(corpus()["label"], automatic.assignments["section"]) > 0.5
    assert any("автоматически" in message for message in automatic.log)


def test_key_terms_and_representatives(result):
    for _, section in result.sections.iterrows():
        assert 5 <= len(section["key_terms"]) <= 8
        assert len(section["representative_ids"]) in (1, 2, 3)
        members = result.assignments[result.assignments["section"] == section["section"]]
        assert set(section["representative_ids"]) <= set(members["id"])
        assert sorted(members["rank_in_section"]) == list(range(1, len(members) + 1))


def test_rank_in_section_follows_votes(result):
    frame = corpus().set_index("id")
    for _, members in result.assignments.groupby("section"):
        ordered = members.sort_values("rank_in_section")
        votes = frame.loc[ordered["id"], "votes"].tolist()
        assert votes == sorted(votes, reverse=True)


def test_titles_are_unique_nominative_phrases(result):
    morph = pymorphy3.MorphAnalyzer()
    titles = result.sections["title"].tolist()
    assert len(set(titles)) == len(titles)
    for title in titles:
        assert title[0].isupper()
        words = [w.strip(":,()").lower() for w in title.split()]
        nouns = [w for w in words if any(p.tag.POS == "NOUN" for p in morph.parse(w))]
        assert nouns, title
        first_noun = nouns[0]
        assert any(p.tag.POS == "NOUN" and "nomn" in p.tag for p in morph.parse(first_noun)), title


def test_same_seed_same_output():
    first = cluster_proposals(corpus(), random_state=3)
    second = cluster_proposals(corpus(), random_state=3)
    pd.testing.assert_frame_equal(first.assignments, second.assignments)
    assert first.sections["title"].tolist() == second.sections["title"].tolist()


def test_groups_form_sections_inside_each_group():
    frame = corpus()
    frame["track"] = ["A" if label in {"креатив", "дети"} else "B" for label in frame["label"]]
    grouped = cluster_proposals(frame, k=2, group_col="track")
    merged = grouped.assignments.merge(frame[["id", "track"]], on="id")
    assert (merged["group"] == merged["track"]).all()
    for _, section in grouped.sections.iterrows():
        members = merged[merged["section"] == section["section"]]
        assert members["track"].nunique() == 1
    assert grouped.sections["section"].is_unique
    assert len(grouped.sections) == 4


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("n", [0, 1, 2])
def test_zero_one_or_two_texts(n):
    frame = corpus().head(n)
    outcome = cluster_proposals(frame)
    assert len(outcome.assignments) == n
    if n:
        assert outcome.sections["title"].iloc[0] != ""


def test_all_identical_texts_form_one_section():
    frame = pd.DataFrame({"id": range(6), "text": ["Открыть клуб любителей книги"] * 6})
    outcome = cluster_proposals(frame, k=3)
    assert outcome.assignments["section"].nunique() == 1
    assert len(outcome.duplicates) == 15


def test_unusable_texts_go_to_other_with_a_reason():
    frame = pd.concat([corpus(), pd.DataFrame({"id": ["e1", "e2", "e3", "e4", "e5"], "text": [
        "", None, "и в на 2024 😀😀", "https://example.org/page", "   ",
    ]})], ignore_index=True)
    outcome = cluster_proposals(frame, k=4)
    other = outcome.assignments[outcome.assignments["id"].isin(["e1", "e2", "e3", "e4", "e5"])]
    assert (other["section_title"] == "Прочее").all()
    assert other["section"].nunique() == 1
    assert (outcome.assignments["section_title"] == "Прочее").sum() == 5
    assert any("Прочее" in message and "пустой текст" in message for message in outcome.log)
    assert any("стоп-слова" in message for message in outcome.log)


def test_only_unusable_texts():
    frame = pd.DataFrame({"id": [1, 2, 3], "text": ["", "123", "😀"]})
    outcome = cluster_proposals(frame)
    assert (outcome.assignments["section_title"] == "Прочее").all()


def test_very_long_text_and_k_larger_than_n():
    frame = corpus().head(5).copy()
    frame.loc[0, "text"] = "библиотека " * 10000  # 110,000 characters
    outcome = cluster_proposals(frame, k=50)
    assert len(outcome.assignments) == 5
    assert outcome.sections.shape[0] <= 5
    assert any("длиннее" in message for message in outcome.log)


def test_mixed_russian_and_english():
    english = pd.DataFrame({"id": [f"en{i}" for i in range(4)], "text": [
        "Open a board games club for teenagers", "Board games evenings for teenagers",
        "Repair the library roof", "Fix the roof and windows of the library building",
    ]})
    outcome = cluster_proposals(pd.concat([corpus(), english], ignore_index=True))
    assert len(outcome.assignments) == len(corpus()) + 4
    assert outcome.sections["title"].is_unique


def test_missing_column_raises_value_error_with_message():
    with pytest.raises(ValueError, match="text"):
        cluster_proposals(pd.DataFrame({"id": [1]}))


# --------------------------------------------------------------------------- re-runs


def _with_new_texts(frame: pd.DataFrame) -> pd.DataFrame:
    new = frame.sample(frac=0.1, random_state=1).copy()
    new["id"] = "new-" + new["id"]
    new["text"] = new["text"] + " в нашем районе"
    return pd.concat([frame, new], ignore_index=True)


def test_rerun_with_ten_percent_new_texts_keeps_sections():
    frame = corpus(copies=2)
    first = cluster_proposals(frame, random_state=0)
    second = cluster_proposals(_with_new_texts(frame), previous=first.assignments, random_state=5)
    merged = first.assignments.merge(second.assignments, on="id", suffixes=("_old", "_new"))
    assert len(merged) == len(frame)
    kept = (merged["section_old"] == merged["section_new"]).mean()
    assert kept >= 0.9
    old_titles = dict(zip(first.sections["section"], first.sections["title"]))
    for _, section in second.sections.iterrows():
        if section["section"] in old_titles:
            assert section["title"] == old_titles[section["section"]]


def test_locked_sections_keep_exactly_their_members_and_pinned_rows_stay():
    frame = corpus()
    first = cluster_proposals(frame, k=4, random_state=0)
    previous = first.assignments.copy()
    locked_section = previous["section"].iloc[0]
    previous["locked"] = (previous["section"] == locked_section).astype(int)
    # pin a text into a section where it does not belong
    pinned_id = previous.loc[previous["section"] != locked_section, "id"].iloc[0]
    other_section = previous.loc[
        ~previous["section"].isin([locked_section, previous.set_index("id").loc[pinned_id,
                                                                                 "section"]]),
        "section"].iloc[0]
    previous.loc[previous["id"] == pinned_id, "section"] = other_section
    previous["pinned"] = (previous["id"] == pinned_id).astype(int)
    bigger = _with_new_texts(frame)
    second = cluster_proposals(bigger, k=5, previous=previous, random_state=7)
    after = second.assignments.set_index("id")["section"]
    locked_before = set(previous.loc[previous["section"] == locked_section, "id"])
    locked_after = set(after[after == locked_section].index)
    assert locked_before == locked_after
    assert after[pinned_id] == other_section
    old_title = first.sections.set_index("section").loc[locked_section, "title"]
    assert second.sections.set_index("section").loc[locked_section, "title"] == old_title


# --------------------------------------------------------------------------- CLI


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_cli_cluster_writes_one_row_per_input_row(tmp_path):
    source = tmp_path / "in.csv"
    corpus().to_csv(source, index=False)
    out = tmp_path / "out.csv"
    done = run_cli("cluster", source, "--out", out, "--k", 4, "--group-col", "track", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(out)
    assert list(written.columns[:3]) == ["id", "section", "section_title"]
    assert len(written) == len(corpus())
    rerun_out = tmp_path / "out2.csv"
    done = run_cli("cluster", source, "--out", rerun_out, "--previous", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (pd.read_csv(rerun_out)["section"] == written["section"]).mean() >= 0.9


def test_cli_duplicates(tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": [1, 2, 3], "text": ["Клуб настольных игр для подростков",
                                            "Клуб настольных игр для подростков!",
                                            "Ремонт крыши"]}).to_csv(source, index=False)
    out = tmp_path / "pairs.csv"
    done = run_cli("duplicates", source, "--out", out, "--threshold", 0.8, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pairs = pd.read_csv(out)
    assert list(pairs.columns) == ["id_a", "id_b", "similarity"]
    assert pairs[["id_a", "id_b"]].values.tolist() == [[1, 2]]


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "пуст"),
        (b"id,body\n1,hello\n", "нет столбца text"),
        ("id,text\n1,Привет библиотека\n".encode("cp1251"), "UTF-8"),
    ],
)
def test_cli_errors_exit_2_without_traceback(tmp_path, content, expected):
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    done = run_cli("cluster", source, "--out", tmp_path / "out.csv", cwd=tmp_path)
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_reads_mostly_utf8_with_a_broken_byte_and_says_so(tmp_path):
    source = tmp_path / "in.csv"
    good = corpus()[["id", "text"]].to_csv(index=False).encode("utf-8")
    source.write_bytes(good + b"x99,\"\xff\xfe broken\"\n")
    out = tmp_path / "out.csv"
    done = run_cli("cluster", source, "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "не в UTF-8" in done.stderr
    assert len(pd.read_csv(out)) == len(corpus()) + 1


def test_spectral_members_are_seeded_and_scale_with_n():
    import numpy as np

    from analysis.clustering import base_partitions, spectral_embedding_of, spectral_neighbours

    assert spectral_neighbours(211) == 10 and spectral_neighbours(732) == 18
    assert spectral_neighbours(40) == 5
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 20))
    view = centres[np.repeat(np.arange(3), 30)] + 0.3 * rng.normal(size=(90, 20))
    view /= np.linalg.norm(view, axis=1, keepdims=True)
    first = base_partitions([view], [3, 6], random_state=1, spectral=True)
    again = base_partitions([view], [3, 6], random_state=1, spectral=True)
    assert len(first) == 2 * len(base_partitions([view], [3, 6], random_state=1))
    assert all((a == b).all() for a, b in zip(first, again))
    truth = np.repeat(np.arange(3), 30)
    assert adjusted_rand_score(truth, first[1]) > 0.9  # spectral member, k = 3
    assert spectral_embedding_of(view[:10], 3) is None  # too few rows: centroid members only


# --------------------------------------------------------------------------- swappable stages


def test_grouper_stages_can_be_swapped_for_plain_sklearn_objects():
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline

    from analysis import ProposalGrouper

    vectorizer = make_pipeline(make_column_transformer((TfidfVectorizer(), "lemmas")),
                               TruncatedSVD(n_components=10, random_state=0))
    grouper = ProposalGrouper(vectorizer=vectorizer,
                              clusterer=KMeans(n_clusters=4, n_init=5, random_state=0))
    labels = grouper.fit_predict(corpus())
    assert adjusted_rand_score(corpus()["label"], labels) > 0.5
    assert grouper.sections_.shape[0] == 4
    assert set(grouper.clusterers_[""].get_params()) >= {"n_clusters"}
    assert grouper.vectorizer is vectorizer  # the given stage is cloned, not fitted in place
    assert not hasattr(vectorizer[-1], "components_")


def test_grouper_follows_the_estimator_contract():
    from sklearn.base import clone

    from analysis import ProposalGrouper

    grouper = ProposalGrouper(k=4, random_state=2)
    assert clone(grouper).get_params()["k"] == 4
    assert not hasattr(grouper, "result_")
    assert grouper.fit(corpus()) is grouper
    assert grouper.result_.assignments is grouper.assignments_


class _BrokenClusterer(BaseEstimator):
    def __init__(self, n_clusters=None):
        self.n_clusters = n_clusters

    def fit(self, X):
        raise ValueError("no way to split these")


def test_a_failed_stage_is_logged_with_its_reason_in_the_result():
    from analysis import ProposalGrouper

    grouper = ProposalGrouper(clusterer=_BrokenClusterer()).fit(corpus())
    result = grouper.result_
    assert (result.sections["title"] == "Прочее").all()
    assert (result.assignments["reason"] == "ошибка группировки").all()
    assert result.failures == [{"stage": "cluster", "group": "",
                                "error": "ValueError: no way to split these"}]
    assert any("Причина: ValueError: no way to split these" in m for m in result.log)


def test_reason_is_empty_outside_other(result):
    assert (result.assignments["reason"] == "").all()
    assert result.failures == []


def test_progress_reports_stages_in_order_up_to_one():
    calls = []
    cluster_proposals(corpus(), k=4, progress=lambda stage, share: calls.append((stage, share)))
    stages = [stage for stage, _ in calls]
    shares = [share for _, share in calls]
    assert stages[0] == "prepare" and stages[-1] == "done"
    assert {"vectorize", "cluster", "name", "duplicates"} <= set(stages)
    assert shares == sorted(shares) and shares[-1] == 1.0 and shares[0] == 0.0


def test_a_broken_progress_callback_does_not_stop_the_grouping():
    def broken(stage, share):
        raise RuntimeError("display gone")

    assert len(cluster_proposals(corpus(), k=4, progress=broken).sections) == 4


def test_progress_is_reported_from_the_calling_thread_when_tracks_run_in_parallel():
    import threading

    frame = corpus(copies=2)
    frame["track"] = ["A" if i % 2 else "B" for i in range(len(frame))]
    threads = set()
    cluster_proposals(frame, group_col="track",
                      progress=lambda stage, share: threads.add(threading.get_ident()))
    assert threads == {threading.get_ident()}
