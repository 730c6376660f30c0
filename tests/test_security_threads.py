"""Text processing is safe under threads: Snowball stemmers keep state per call, so one shared
between request threads threw and returned wrong stems (500s and wrong search results)."""
import threading

from analysis.text import stem
from strategy.proposals.models import fold_for_search

WORDS = ["родителями", "библиотеками", "краеведческий", "подростков", "настольные", "libraries",
         "reading", "communities", "Bibliotheken", "организовать", "встречами", "volunteering"]
TEXTS = [" ".join(WORDS[i:] + WORDS[:i]) for i in range(len(WORDS))]


def hammer(function, inputs, threads=8, calls=3000):
    expected = {value: function(*value) if isinstance(value, tuple) else function(value)
                for value in inputs}
    errors, wrong = [], []
    start = threading.Barrier(threads)

    def work(offset: int) -> None:
        start.wait()
        for n in range(calls):
            value = inputs[(n + offset) % len(inputs)]
            try:
                got = function(*value) if isinstance(value, tuple) else function(value)
            except Exception as error:  # noqa: BLE001 (counted, that is the finding)
                errors.append(error)
                continue
            if got != expected[value]:
                wrong.append((value, got))

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return errors, wrong


def test_search_folding_is_exact_under_eight_threads():
    errors, wrong = hammer(fold_for_search, TEXTS)
    assert errors == [] and wrong == []


def test_analysis_stems_are_exact_under_eight_threads():
    inputs = [(word, "de" if word[0].isupper() else "en") for word in WORDS]
    stem.cache_clear()  # the per-token cache would hide the stemmer itself
    errors, wrong = hammer(lambda w, lang: (stem.cache_clear(), stem(w, lang))[1], inputs,
                           calls=1500)
    assert errors == [] and wrong == []
