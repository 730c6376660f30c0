"""Benchmark of ``analysis``: grouping quality against the baseline, speed and memory.

Prints one JSON line per figure, each with its baseline and ratio::

    python -m benchmarks.bench_clustering            # quality + speed at 1k, 10k, 100k
    python -m benchmarks.bench_clustering --quick     # quality + speed at 1k, 10k
    python -m benchmarks.bench_clustering --sizes 1000 5000 --no-quality
    python -m benchmarks.bench_clustering --splits halves tenths --n-splits 4 --seeds 3

Quality: NMI, ARI and V-measure of ``cluster_proposals`` with k given (= number of labels) and
with k chosen automatically, against the baseline of ``shared/data/README.md`` (lemma TF-IDF +
LSA100 + KMeans), all computed in this run as means over seeds 0–4. Speed and peak memory are
measured in a fresh subprocess per size (``resource.getrusage`` max RSS) on texts resampled
from the shared Russian sample with shuffled words and four mixed tracks; the growth exponent
is the log-log slope between consecutive sizes. Beside each size's seconds, the plain baseline's
seconds on the same texts (per track, k = 15) in the same run: the machine is shared, so the
ratio is what compares across runs.

Splits are the proxy for texts kept back (the method is never tuned to one split): random
stratified halves (8) and tenths (10) of both samples, split i drawn with seed i, each scored
like the full sample (ours with k given and k chosen vs the baseline, means over seeds 0–4).
One JSON line per split, then per kind the distribution over splits (mean, std, min, max) of
NMI with k given and k chosen against the same-run baseline (with the ratio), of the margins
over the baseline (target +0.05), of k chosen − k given (target ≥ −0.03) and of the spread of
the chosen k across seeds (target ≤ 2, i.e. the same k ± 1). The same figures ``…_before_naming``
score the clusterer's sections before the namer moves the sections it cannot name to «Прочее»
(which counts as one more section), and ``other_share_…`` is the share of texts it moved there:
the headline figures are the draft people read, these say which stage a gap comes from.

Data are read from ``$SHARED_DATA_DIR`` (default: ``<repo>/../shared/data``) and never copied.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(5)
DATASETS = {
    "ru_citizen_appeals": "ru_citizen_appeals_sample.csv",
    "de_polis_klimarat": "de_polis_klimarat_sample.csv",
}
#: Targets from the issue, used as the "baseline" of speed and memory figures.
SECONDS_TARGET = {1000: 20.0, 10000: 20.0, 100000: 180.0}
MEMORY_TARGET_MB = 2048.0
GROWTH_TARGET = 1.2


def data_dir() -> Path:
    return Path(os.environ.get("SHARED_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


def emit(**figure) -> None:
    for key in ("value", "baseline"):
        if isinstance(figure.get(key), float):
            figure[key] = round(figure[key], 4)
    if figure.get("baseline"):
        figure["ratio"] = round(figure["value"] / figure["baseline"], 4)
    print(json.dumps(figure, ensure_ascii=False), flush=True)


# --------------------------------------------------------------------------- quality


def baseline_runs(texts: pd.Series, k: int, seeds, language: str) -> list[np.ndarray]:
    """Baseline labels for several KMeans seeds (the LSA does not depend on the seed)."""
    import pymorphy3
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize
    from stop_words import get_stop_words

    morph = pymorphy3.MorphAnalyzer()
    stops = set(get_stop_words("russian" if language == "ru" else "german"))
    cache: dict[str, str] = {}

    def lemma(token):
        if token not in cache:
            cache[token] = morph.parse(token)[0].normal_form
        return cache[token]

    docs = [
        " ".join(lemma(t) for t in re.findall(r"[^\W\d_]+", str(text).lower()) if t not in stops)
        for text in texts
    ]
    matrix = TfidfVectorizer(token_pattern=r"(?u)\b\w{2,}\b", min_df=2, max_df=0.5,
                             sublinear_tf=True).fit_transform(docs)
    # 100 components as in the README; fewer where a tenth has fewer terms than that
    n_components = min(100, matrix.shape[1] - 1, matrix.shape[0] - 1)
    reduced = normalize(TruncatedSVD(n_components=n_components,
                                     random_state=0).fit_transform(matrix))
    return [KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(reduced)
            for seed in seeds]


def scores(truth, labels) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, v_measure_score

    return {
        "nmi": normalized_mutual_info_score(truth, labels),
        "ari": adjusted_rand_score(truth, labels),
        "vmeasure": v_measure_score(truth, labels),
    }


def mean_scores(runs: list[dict]) -> dict[str, float]:
    return {key: float(np.mean([run[key] for run in runs])) for key in runs[0]}


def quality_figures(frame: pd.DataFrame, language: str, seeds=SEEDS) -> dict:
    """Baseline, ours with k given and ours with k auto on ``frame``: means over ``seeds``."""
    from analysis.pipeline import ProposalGrouper

    truth = frame["label"].to_numpy()
    k = frame["label"].nunique()
    base = mean_scores([scores(truth, labels)
                        for labels in baseline_runs(frame["text"], k, seeds, language)])
    runs: dict[str, list] = {name: [] for name in (
        "given", "auto", "chosen", "given_grouping", "auto_grouping", "chosen_grouping",
        "other_given", "other_auto")}
    for seed in seeds:
        for mode, n_clusters in (("given", k), ("auto", None)):
            grouper = ProposalGrouper(k=n_clusters, random_state=seed).fit(frame[["id", "text"]])
            result = grouper.result_
            runs[mode].append(scores(truth, result.assignments["section"].astype(str)))
            before = grouper.sections_before_naming_.astype(str)
            runs[f"{mode}_grouping"].append(scores(truth, before))
            other = result.sections["is_other"].astype(bool)
            runs[f"other_{mode}"].append(int(result.sections["size"][other].sum()))
            if mode == "auto":
                runs["chosen"].append(int((~other).sum()))
                runs["chosen_grouping"].append(len(set(before.tolist())))
    figures = {name: mean_scores(values) for name, values in runs.items()
               if values and isinstance(values[0], dict)}
    return {"n": len(frame), "k": int(k), "base": base, **figures,
            **{name: runs[name] for name in ("chosen", "chosen_grouping", "other_given",
                                             "other_auto")}}


def bench_quality(name: str, path: Path) -> None:
    frame = pd.read_csv(path)
    language = "ru" if name.startswith("ru") else "de"
    q = quality_figures(frame, language)
    base, given, auto = q["base"], q["given"], q["auto"]
    for metric in ("nmi", "ari", "vmeasure"):
        emit(figure=f"{metric}_k_given", dataset=name, value=given[metric],
             baseline=base[metric], unit=metric, k=q["k"], seeds="0-4")
    for metric in ("nmi", "ari", "vmeasure"):
        emit(figure=f"{metric}_k_auto", dataset=name, value=auto[metric],
             baseline=base[metric], unit=metric, k_chosen=q["chosen"], seeds="0-4")
    emit(figure="nmi_auto_minus_given", dataset=name, value=auto["nmi"] - given["nmi"],
         baseline=-0.05, unit="nmi difference (target >= -0.05)")


def stratified_split(frame: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """``fraction`` of every label (rounded, at least one row), drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    rows = []
    for _, members in frame.groupby("label", sort=True).indices.items():
        size = max(1, int(round(len(members) * fraction)))
        rows.extend(rng.choice(members, size, replace=False).tolist())
    return frame.iloc[np.sort(rows)].reset_index(drop=True)


#: Split kinds of ``--splits``: the fraction of every label that a split keeps.
SPLITS = {"halves": 0.5, "tenths": 0.1}


def _distribution(values) -> dict:
    values = np.asarray(values, dtype=float)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return {"mean": round(float(values.mean()), 4), "median": round(float(np.median(values)), 4),
            "std": round(std, 4),
            "min": round(float(values.min()), 4), "max": round(float(values.max()), 4),
            "mean_minus_std": round(float(values.mean()) - std, 4)}


def bench_splits(name: str, path: Path, kind: str, n_splits: int, seeds=SEEDS) -> None:
    """Quality over random stratified splits (split i drawn with seed i): the proxy for texts
    kept back.

    One JSON line per split (baseline, k given, k chosen and the chosen k per seed), then the
    distribution over splits of NMI with k given and with k chosen (``baseline``: the mean of
    the same-run baseline, with the ratio), of the margins over that baseline, of k chosen
    minus k given, and of the spread of the chosen k across seeds.
    """
    frame = pd.read_csv(path)
    language = "ru" if name.startswith("ru") else "de"
    runs = [quality_figures(stratified_split(frame, SPLITS[kind], split), language, seeds)
            for split in range(n_splits)]
    for split, q in enumerate(runs):
        print(json.dumps({
            "figure": f"nmi_split_{kind}", "dataset": name, "split": split, "n": q["n"],
            "k": q["k"], "baseline": round(q["base"]["nmi"], 4),
            "k_given": round(q["given"]["nmi"], 4), "k_auto": round(q["auto"]["nmi"], 4),
            "k_chosen": q["chosen"],
            "before_naming": {"k_given": round(q["given_grouping"]["nmi"], 4),
                              "k_auto": round(q["auto_grouping"]["nmi"], 4),
                              "k_chosen": q["chosen_grouping"]},
            "other_texts": {"k_given": q["other_given"], "k_auto": q["other_auto"]},
        }, ensure_ascii=False), flush=True)
    base = [q["base"]["nmi"] for q in runs]
    common = {"dataset": name, "splits": f"{n_splits} {kind}",
              "seeds": f"{min(seeds)}-{max(seeds)}"}
    for mode in ("given", "auto"):
        values = [q[mode]["nmi"] for q in runs]
        emit(figure=f"nmi_k_{mode}_{kind}", value=float(np.mean(values)),
             baseline=float(np.mean(base)), unit="nmi", **common,
             distribution=_distribution(values), baseline_distribution=_distribution(base))
    # the same figures for the clusterer's sections, before the namer's «Прочее» moves
    for mode in ("given", "auto"):
        values = [q[f"{mode}_grouping"]["nmi"] for q in runs]
        emit(figure=f"nmi_k_{mode}_{kind}_before_naming", value=float(np.mean(values)),
             baseline=float(np.mean(base)), unit="nmi", **common,
             distribution=_distribution(values))
    for figure, values, target in (
        (f"nmi_margin_k_given_{kind}_before_naming",
         [q["given_grouping"]["nmi"] - q["base"]["nmi"] for q in runs], 0.05),
        (f"nmi_auto_minus_given_{kind}_before_naming",
         [q["auto_grouping"]["nmi"] - q["given_grouping"]["nmi"] for q in runs], -0.03),
        (f"k_spread_across_seeds_{kind}_before_naming",
         [max(q["chosen_grouping"]) - min(q["chosen_grouping"]) for q in runs], 2),
        (f"other_share_k_given_{kind}", [np.mean(q["other_given"]) / q["n"] for q in runs],
         None),
        (f"other_share_k_auto_{kind}", [np.mean(q["other_auto"]) / q["n"] for q in runs],
         None),
    ):
        print(json.dumps({"figure": figure, "target": target, **common,
                          **_distribution(values)}, ensure_ascii=False), flush=True)
    for figure, values, target in (
        (f"nmi_margin_k_given_{kind}", [q["given"]["nmi"] - q["base"]["nmi"] for q in runs],
         0.05),
        (f"nmi_margin_k_auto_{kind}", [q["auto"]["nmi"] - q["base"]["nmi"] for q in runs],
         0.05),
        (f"nmi_auto_minus_given_{kind}", [q["auto"]["nmi"] - q["given"]["nmi"] for q in runs],
         -0.03),
        (f"k_spread_across_seeds_{kind}", [max(q["chosen"]) - min(q["chosen"]) for q in runs],
         2),
    ):
        print(json.dumps({"figure": figure, "target": target, **common,
                          **_distribution(values)}, ensure_ascii=False), flush=True)


# --------------------------------------------------------------------------- speed


def synthetic_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` texts resampled from the Russian sample, words shuffled, four tracks mixed."""
    source = pd.read_csv(data_dir() / DATASETS["ru_citizen_appeals"])["text"].tolist()
    rng = np.random.default_rng(seed)
    texts = []
    for index in rng.integers(0, len(source), n):
        words = source[index].split()
        rng.shuffle(words)
        texts.append(" ".join(words))
    tracks = ["Гений места", "Большой проект", "Социальный хаб", "Центры развития"]
    return pd.DataFrame({
        "id": np.arange(n),
        "text": texts,
        "track": [tracks[i] for i in rng.integers(0, 4, n)],
        "votes": rng.integers(0, 30, n),
    })


def speed_worker(n: int) -> None:
    """Run in a subprocess: one end-to-end grouping of ``n`` texts; print seconds and MB."""
    frame = synthetic_frame(n)
    start = time.perf_counter()
    from analysis import cluster_proposals

    result = cluster_proposals(frame, group_col="track", random_state=0)
    seconds = time.perf_counter() - start
    assert len(result.assignments) == n
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb,
                      "sections": int(len(result.sections))}))


def baseline_speed_worker(n: int) -> None:
    """Run in a subprocess: the plain baseline (README) on the texts of :func:`speed_worker`,
    per track with k = 15 (the most sections ours makes), one KMeans seed; print seconds."""
    frame = synthetic_frame(n)
    start = time.perf_counter()
    for _, texts in frame.groupby("track")["text"]:
        baseline_runs(texts.reset_index(drop=True), 15, [0], "ru")
    print(json.dumps({"seconds": time.perf_counter() - start}))


def _timed_subprocess(flag: str, n: int) -> tuple[dict | None, str]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_clustering", flag, str(n)],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    if done.returncode != 0:
        return None, (done.stderr.strip().splitlines()[-1:] or ["failed"])[0]
    return json.loads(done.stdout.strip().splitlines()[-1]), ""


def bench_speed(sizes: list[int]) -> None:
    """Seconds and peak memory per size against the targets, and seconds against the plain
    baseline timed on the same texts in the same run (the machine is shared: the ratio to
    that baseline is the figure to compare across runs)."""
    measured = {}
    for n in sizes:
        plain, _ = _timed_subprocess("--baseline-worker", n)
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_clustering", "--worker", str(n)],
            cwd=REPO_ROOT, capture_output=True, text=True,
        )
        if done.returncode != 0:
            emit(figure=f"seconds_{n}", dataset="ru_resampled", value=None, unit="s",
                 error=done.stderr.strip().splitlines()[-1:] or ["failed"])
            continue
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        measured[n] = figures["seconds"]
        target = SECONDS_TARGET.get(n, SECONDS_TARGET[10000] * (n / 10000) ** GROWTH_TARGET)
        emit(figure=f"seconds_{n}", dataset="ru_resampled", value=figures["seconds"],
             baseline=target, unit="s (target)", sections=figures["sections"])
        if plain is not None:
            emit(figure=f"seconds_vs_plain_baseline_{n}", dataset="ru_resampled",
                 value=figures["seconds"], baseline=plain["seconds"],
                 unit="s (baseline: README baseline on the same texts, same run)")
        emit(figure=f"peak_memory_mb_{n}", dataset="ru_resampled", value=figures["peak_mb"],
             baseline=MEMORY_TARGET_MB, unit="MB (target)")
    ordered = sorted(measured)
    for small, large in zip(ordered, ordered[1:]):
        slope = math.log(measured[large] / measured[small]) / math.log(large / small)
        emit(figure=f"growth_exponent_{small}_{large}", dataset="ru_resampled", value=slope,
             baseline=GROWTH_TARGET, unit="log-log slope of seconds")


#: Splits measured by default (``make bench``); ``--quick`` measures fewer.
DEFAULT_SPLITS = {"halves": 8, "tenths": 10}
QUICK_SPLITS = {"halves": 3, "tenths": 5}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--quick", action="store_true",
                        help="speed at 1k and 10k only, fewer splits")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--no-splits", action="store_true",
                        help="quality on the full samples only")
    parser.add_argument("--splits", nargs="+", choices=sorted(SPLITS), default=None,
                        help="split kinds to measure (default: halves and tenths)")
    parser.add_argument("--n-splits", type=int, default=None, metavar="N",
                        help="splits of each kind (default: 8 halves, 10 tenths)")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), metavar="N",
                        help="seeds 0..N-1 per measurement (default: 5)")
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS), default=None,
                        help="datasets for quality figures (default: all)")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--baseline-worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    if not data_dir().is_dir():
        emit(figure="all", status="skipped", reason=f"no shared data at {data_dir()}")
        return 0
    if args.worker:
        speed_worker(args.worker)
        return 0
    if args.baseline_worker:
        baseline_speed_worker(args.baseline_worker)
        return 0
    seeds = range(args.seeds)
    if not args.no_quality:
        for name, file in DATASETS.items():
            if args.datasets and name not in args.datasets:
                continue
            path = data_dir() / file
            if not path.exists():
                emit(figure="quality", dataset=name, status="skipped", reason="file missing")
                continue
            if not args.splits:
                bench_quality(name, path)
            if args.no_splits:
                continue
            counts = QUICK_SPLITS if args.quick else DEFAULT_SPLITS
            for kind in args.splits or sorted(SPLITS):
                bench_splits(name, path, kind, args.n_splits or counts[kind], seeds)
    if not args.no_speed and not args.splits:
        sizes = args.sizes or ([1000, 10000] if args.quick else [1000, 10000, 100000])
        bench_speed(sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
