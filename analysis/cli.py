"""Command line: ``python -m analysis cluster|duplicates``.

Usage
-----
``python -m analysis cluster IN.csv --out OUT.csv [--k N] [--text-col text] [--id-col id]
[--group-col track] [--votes-col votes] [--previous PREV.csv] [--seed 0]``
    Writes one row per input row: ``id, section, section_title, key_terms,
    is_representative, rank_in_section, score, group``. ``key_terms`` are joined by "; ".
    PREV.csv is a previous OUT.csv, optionally with ``locked`` (section level, 1/0) and
    ``pinned`` (row level, 1/0) columns (see :mod:`analysis`).

``python -m analysis duplicates IN.csv --out PAIRS.csv [--threshold 0.8]``
    Writes ``id_a, id_b, similarity``.

Errors (missing file or column, empty file, not UTF-8) exit with code 2 and a Russian message
on stderr, without a traceback. A file that is UTF-8 except for a few broken bytes is read
with those bytes replaced, and a warning says so.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
from pathlib import Path

import pandas as pd

#: Files with a larger share of undecodable bytes are rejected as "not UTF-8".
MAX_BROKEN_SHARE = 0.01


class InputError(Exception):
    """A problem with the user's input: reported without a traceback, exit code 2."""


def read_csv_file(path: str, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a CSV file robustly.

    Parameters
    ----------
    path : str
        File path.
    encoding : str, default='utf-8'
        Expected encoding; with UTF-8, a few broken bytes are replaced (with a warning).

    Returns
    -------
    DataFrame
        All columns as read by pandas (``id`` kept as text).

    Raises
    ------
    InputError
        Missing or empty file, wrong encoding, unparsable CSV.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"Файл не найден: {path}")
    raw = file.read_bytes()
    if not raw.strip():
        raise InputError(f"Файл пуст: {path}")
    text = _decode(raw, encoding, path)
    try:
        return pd.read_csv(io.StringIO(text), dtype={"id": str}, keep_default_na=False,
                           na_values=[""])
    except pd.errors.EmptyDataError:
        raise InputError(f"Файл пуст: {path}") from None
    except (pd.errors.ParserError, ValueError) as error:
        raise InputError(f"Не удалось прочитать CSV {path}: {error}") from None


def _decode(raw: bytes, encoding: str, path: str) -> str:
    if encoding.lower().replace("-", "") not in {"utf8", "utf8sig"}:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise InputError(f"Не удалось прочитать {path} в кодировке {encoding}: {error}") \
                from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8-sig", errors="replace")
    broken = text.count("\ufffd")
    if broken / max(len(text), 1) > MAX_BROKEN_SHARE:
        raise InputError(
            f"Файл {path} не в кодировке UTF-8 (возможно, Windows-1251). "
            "Сохраните его в UTF-8 или укажите --encoding cp1251."
        )
    print(f"Предупреждение: в файле {path} есть байты не в UTF-8 ({broken}); "
          "они заменены знаком «\ufffd».", file=sys.stderr)
    return text


def _require(frame: pd.DataFrame, columns: list[str], path: str) -> None:
    missing = [c for c in columns if c and c not in frame.columns]
    if missing:
        raise InputError(
            f"В файле {path} нет столбца {', '.join(missing)}. "
            f"Есть столбцы: {', '.join(map(str, frame.columns))}"
        )


def run_cluster(args) -> int:
    from . import cluster_proposals

    frame = read_csv_file(args.input, args.encoding)
    _require(frame, [args.id_col, args.text_col, args.group_col], args.input)
    previous = None
    if args.previous:
        previous = read_csv_file(args.previous, args.encoding)
        _require(previous, ["id", "section"], args.previous)
    if args.k is not None and args.k < 1:
        raise InputError("--k должно быть положительным числом")
    result = cluster_proposals(
        frame, k=args.k, previous=previous, random_state=args.seed, group_col=args.group_col,
        text_col=args.text_col, id_col=args.id_col, votes_col=args.votes_col,
    )
    terms = dict(zip(result.sections["section"].map(str),
                     result.sections["key_terms"].map("; ".join)))
    out = result.assignments.copy()
    out.insert(3, "key_terms", out["section"].map(lambda s: terms.get(str(s), "")))
    out["is_representative"] = out["is_representative"].astype(int)
    columns = ["id", "section", "section_title", "key_terms", "is_representative",
               "rank_in_section", "score", "group"]
    out[columns].to_csv(args.out, index=False)
    for message in result.log:
        print(message, file=sys.stderr)
    return 0


def run_duplicates(args) -> int:
    from . import find_duplicates

    frame = read_csv_file(args.input, args.encoding)
    _require(frame, [args.id_col, args.text_col], args.input)
    pairs = find_duplicates(frame, threshold=args.threshold, text_col=args.text_col,
                            id_col=args.id_col)
    pairs.to_csv(args.out, index=False)
    print(f"Пар похожих текстов: {len(pairs)}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis",
                                     description="Группировка предложений в разделы")
    commands = parser.add_subparsers(dest="command", required=True)
    cluster = commands.add_parser("cluster", help="разбить тексты на разделы")
    duplicates = commands.add_parser("duplicates", help="найти почти одинаковые тексты")
    for sub in (cluster, duplicates):
        sub.add_argument("input", metavar="IN.csv")
        sub.add_argument("--out", required=True)
        sub.add_argument("--text-col", default="text")
        sub.add_argument("--id-col", default="id")
        sub.add_argument("--encoding", default="utf-8")
    cluster.add_argument("--k", type=int, default=None)
    cluster.add_argument("--group-col", default=None)
    cluster.add_argument("--votes-col", default="votes")
    cluster.add_argument("--previous", default=None)
    cluster.add_argument("--seed", type=int, default=0)
    duplicates.add_argument("--threshold", type=float, default=0.8)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 input error, 1 unexpected failure)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        if args.command == "cluster":
            return run_cluster(args)
        return run_duplicates(args)
    except InputError as error:
        print(f"Ошибка: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"Ошибка: не удалось записать или прочитать файл: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # last resort: a message, not a traceback
        logging.getLogger(__name__).debug("unexpected failure", exc_info=True)
        print(f"Ошибка: непредвиденный сбой анализа: {error}", file=sys.stderr)
        return 1
