"""Threads and thread counts: the grouping gives the same result for 1 and 2 BLAS/OpenMP
threads, and text processing is safe to call from many threads at once."""

import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from analysis import text as text_module
from analysis.features import load_navec
from analysis.text import analyse_text, lemmatize_ru, stem

REPO = Path(__file__).resolve().parents[1]

GROUPING_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from tests.test_analysis_pipeline import corpus
from analysis import cluster_proposals
frame = corpus(copies=6)
frame["track"] = ["A" if i % 3 else "B" for i in range(len(frame))]
out = {}
for k in (None, 4):
    result = cluster_proposals(frame, k=k, group_col="track", random_state=1)
    out[str(k)] = {
        "assignments": result.assignments.astype(str).to_dict("list"),
        "sections": result.sections.astype(str).to_dict("list"),
        "duplicates": result.duplicates.astype(str).to_dict("list"),
    }
print(json.dumps(out, ensure_ascii=False, sort_keys=True))
"""


def grouping_with_threads(threads: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, "-c", GROUPING_SCRIPT, str(REPO)], env=env,
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_grouping_is_identical_for_one_and_two_threads():
    one, two = grouping_with_threads(1), grouping_with_threads(2)
    assert one == two
    assert len(set(one["4"]["assignments"]["section"])) >= 4  # a real grouping was compared


def test_thread_limits_are_restored_after_the_grouping():
    from threadpoolctl import threadpool_info

    from analysis import cluster_proposals
    from tests.test_analysis_pipeline import corpus

    before = [(lib["internal_api"], lib["num_threads"]) for lib in threadpool_info()]
    cluster_proposals(corpus(), k=4)
    after = [(lib["internal_api"], lib["num_threads"]) for lib in threadpool_info()]
    assert before == after


def _words(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    endings = ["ing", "ness", "ational", "ively", "ations", "ed", "s", "ungen", "lich"]
    return ["".join(rng.choice("abcdefghilmnoprstu") for _ in range(rng.randint(4, 10)))
            + rng.choice(endings) for _ in range(n)]


def _run_in_threads(work, n_threads: int = 8):
    errors, results = [], [None] * n_threads

    def run(index):
        try:
            results[index] = work(index)
        except Exception as error:  # collected: the test asserts there are none
            errors.append(error)

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so races show up
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old_interval)
    return errors, results


@pytest.mark.parametrize("language", ["en", "de"])
def test_stemming_from_eight_threads_matches_one_thread(language):
    words = _words(ord(language[0]), 16000)
    stem.cache_clear()  # every call below really stems
    expected = [text_module._stemmer(language).stemWord(w) for w in words]
    stem.cache_clear()
    errors, results = _run_in_threads(
        lambda i: [(j, stem(words[j], language)) for j in range(i, len(words), 8)])
    assert errors == []
    got = dict(pair for part in results for pair in part)
    assert [got[j] for j in range(len(words))] == expected


def test_lemmas_and_analysis_from_eight_threads_match_one_thread():
    texts = [f"Отремонтировать дороги и тротуары в посёлке номер {i}, please fix roads"
             for i in range(50)] + ["Бродячие собаки пугают детей возле школы"] * 20
    expected = [analyse_text(t) for t in texts]
    tokens = ["дорогами", "сёл", "библиотеках", "пенсионерам", "остановки"] * 40
    expected_lemmas = [lemmatize_ru(t) for t in tokens]
    stem.cache_clear()
    errors, results = _run_in_threads(
        lambda i: ([analyse_text(t) for t in texts * 3], [lemmatize_ru(t) for t in tokens]))
    assert errors == []
    for analysed, lemmas in results:
        assert analysed == expected * 3
        assert lemmas == expected_lemmas


def test_lazy_models_are_built_once_under_threads(monkeypatch):
    monkeypatch.setattr(text_module, "_MORPH", None)
    errors, results = _run_in_threads(lambda i: text_module._morph())
    assert errors == []
    assert len({id(model) for model in results}) == 1
    errors, results = _run_in_threads(lambda i: load_navec())
    assert errors == []
    assert len({id(model) for model in results}) == 1
