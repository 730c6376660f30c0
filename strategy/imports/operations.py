"""Importing a participants list or pre-collected proposals from CSV or XLSX.

The file is read and checked as a whole first (format, encoding, size, columns), then every
row is validated; only then are the valid rows written, all in one transaction, and a report
lists every rejected row with its line number and reason. Nothing is half-imported silently:
either the valid rows are in and the report says which were not, or nothing is in and the
report says why."""
from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from strategy.auth.models import Role, User
from strategy.core.errors import OperationError
from strategy.core.spreadsheet import restore
from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.auth.forms import JoinForm
from strategy.proposals.forms import ProposalForm
from strategy.proposals.models import (BODY_MAX, FIELD_MAX, TITLE_MAX, Proposal, ProposalKind,
                                       ProposalStatus)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
NAME_MAX, LIBRARY_MAX, MUNICIPALITY_MAX = 80, 200, 120
ENCODINGS = ("auto", "utf-8", "cp1251")
KINDS = ("participants", "proposals")


# --------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    required: bool
    limit: int
    synonyms: tuple[str, ...]


def fields_for(kind: str, fixed_track: bool = False) -> list[Field]:
    """The fields a file of this kind can fill, with the header names we recognise."""
    people = [
        Field("library", _("Библиотека"), False, LIBRARY_MAX,
              ("библиотека", "library", "author_library", "организация")),
        Field("municipality", _("Муниципалитет"), False, MUNICIPALITY_MAX,
              ("муниципалитет", "муниципальное образование", "municipality",
               "author_municipality", "район", "город")),
        Field("consent", _("Согласие показывать библиотеку"), False, 20,
              ("согласие", "согласие показывать библиотеку", "consent")),
    ]
    if kind == "participants":
        return [Field("name", _("Имя"), True, NAME_MAX,
                      ("имя", "фио", "участник", "name", "display_name", "фамилия имя"))] + people
    return [
        Field("title", _("Заголовок"), True, TITLE_MAX,
              ("заголовок", "название", "title", "название предложения")),
        Field("body", _("Текст предложения"), True, BODY_MAX,
              ("текст", "суть", "суть предложения", "описание", "body", "text", "предложение")),
        Field("track", _("Трек"), not fixed_track, 200, ("трек", "track", "направление")),
        Field("kind", _("Тип (идея, проект, практика)"), False, 40, ("тип", "kind", "вид")),
        Field("expected_result", _("Ожидаемый результат"), False, FIELD_MAX,
              ("ожидаемый результат", "результат", "expected_result")),
        Field("partners", _("Партнёры"), False, FIELD_MAX, ("партнёры", "партнеры", "partners")),
        Field("name", _("Автор"), False, NAME_MAX,
              ("автор", "author", "author_name", "имя автора", "фио автора", "фио")),
        Field("status", _("Статус (по умолчанию — опубликовано)"), False, 40,
              ("статус", "status")),
    ] + people


def fold(text: str) -> str:
    """Compare header names, tracks and duplicates ignoring case, ё, quotes and dashes."""
    text = (text or "").casefold().replace("ё", "е")
    text = re.sub(r"[«»\"'„“”]", "", text)
    text = re.sub(r"[‐-―−-]", "-", text)
    return " ".join(text.split())


# --------------------------------------------------------------------------- reading files


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    lines: list[int]  # the file line (or sheet row) of each row, for the report
    note: str = ""


def read_table(filename: str, raw: bytes, encoding: str = "auto",
               sheet_hint: str = "") -> Table:
    """Read CSV or XLSX into header + rows of text; clear Russian errors for bad files."""
    if not raw:
        raise OperationError(_("Файл пустой."), 400)
    if len(raw) > MAX_BYTES:
        raise OperationError(_("Файл больше 5 МБ (%(size).1f МБ). Разделите его на части.",
                               size=len(raw) / 1024 / 1024), 413)
    name = (filename or "").lower()
    if name.endswith(".xls") and not raw.startswith(b"PK"):
        raise OperationError(_("Старый формат XLS не поддерживается: сохраните файл как XLSX "
                               "или CSV."), 400)
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if raw.startswith(b"PK") or extension == "xlsx":
        table = read_xlsx(raw, sheet_hint)
    elif extension in ("csv", "txt", "tsv", ""):
        table = read_csv(raw, encoding)
    else:
        raise OperationError(_("Нужен файл CSV или XLSX (получен «%(name)s»).", name=filename),
                             400)
    if not table.headers:
        raise OperationError(_("В файле нет строки заголовков."), 400)
    if len(table.rows) > MAX_ROWS:
        raise OperationError(_("В файле %(n)d строк, можно не больше %(max)d. Разделите файл.",
                               n=len(table.rows), max=MAX_ROWS), 400)
    if not table.rows:
        raise OperationError(_("В файле нет строк с данными — только заголовки."), 400)
    return table


def decode(raw: bytes, encoding: str) -> tuple[str, str]:
    """Text and a note; UTF-8 first, Windows-1251 (Excel's Russian CSV) when it fits."""
    if b"\x00" in raw[:4096]:
        raise OperationError(_("Файл не похож на CSV: в нём двоичные данные (возможно, это "
                               "UTF-16 или другой формат). Сохраните его как «CSV UTF-8»."), 400)
    if encoding in ("auto", "utf-8"):
        try:
            return raw.decode("utf-8-sig"), ""
        except UnicodeDecodeError:
            if encoding == "utf-8":
                raise OperationError(_("Файл не в кодировке UTF-8. Выберите кодировку "
                                       "Windows-1251 или сохраните файл как «CSV UTF-8»."), 400)
    try:
        text = raw.decode("cp1251")
    except UnicodeDecodeError:
        raise OperationError(_("Не удалось прочитать файл ни в UTF-8, ни в Windows-1251. "
                               "Сохраните его как «CSV UTF-8»."), 400)
    letters = [ch for ch in text if ch.isalpha()]
    cyrillic = sum("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in letters)
    if encoding == "auto" and letters and cyrillic / len(letters) < 0.3:
        raise OperationError(_("Не удалось определить кодировку файла: он не в UTF-8, а в "
                               "Windows-1251 текст не читается. Сохраните его как «CSV UTF-8»."),
                             400)
    return text, _("Файл прочитан в кодировке Windows-1251.")


def read_csv(raw: bytes, encoding: str) -> Table:
    text, note = decode(raw, encoding)
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        delimiter = max(";,\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise OperationError(_("Файл CSV повреждён (строка %(n)d): %(error)s.",
                               n=reader.line_num, error=str(error)), 400)
    return table_from(records, note)


def read_xlsx(raw: bytes, sheet_hint: str) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:
        raise OperationError(_("Файл не удалось открыть как XLSX: он повреждён или это другой "
                               "формат."), 400)
    sheet = book[sheet_hint] if sheet_hint in book.sheetnames else book.worksheets[0]
    records = [(index, [cell_text(v) for v in row])
               for index, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    book.close()
    note = _("Прочитан лист «%(sheet)s».", sheet=sheet.title) if len(book.sheetnames) > 1 else ""
    return table_from(records, note)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def table_from(records: list[tuple[int, list[str]]], note: str) -> Table:
    records = [(line, row) for line, row in records if any(str(v).strip() for v in row)]
    if not records:
        return Table([], [], [], note)
    (_, header), body = records[0], records[1:]
    headers = [str(h).strip() or _("Столбец %(n)d", n=i) for i, h in enumerate(header, 1)]
    width = len(headers)
    rows = [[restore(str(v)).strip() for v in (row + [""] * width)[:width]] for _, row in body]
    return Table(headers, rows, [line for line, _ in body], note)


# --------------------------------------------------------------------------- mapping


def guess_mapping(kind: str, headers: list[str], fixed_track: bool = False) -> dict[str, int]:
    """Field key → column index, by exact (folded) header names."""
    folded = [fold(h) for h in headers]
    mapping: dict[str, int] = {}
    for item in fields_for(kind, fixed_track):
        for synonym in item.synonyms:
            if synonym in folded and folded.index(synonym) not in mapping.values():
                mapping[item.key] = folded.index(synonym)
                break
    return mapping


def check_mapping(kind: str, headers: list[str], mapping: dict[str, int],
                  fixed_track: bool = False) -> None:
    missing = [f.label for f in fields_for(kind, fixed_track)
               if f.required and f.key not in mapping]
    if missing:
        raise OperationError(_("В файле не найдены обязательные столбцы: %(fields)s. Укажите, "
                               "какой столбец за что отвечает.", fields=", ".join(missing)), 400)
    used = [i for i in mapping.values()]
    if len(used) != len(set(used)):
        raise OperationError(_("Один столбец выбран для двух полей."), 400)
    if any(i < 0 or i >= len(headers) for i in used):
        raise OperationError(_("Выбран несуществующий столбец."), 400)


# --------------------------------------------------------------------------- validation


@dataclass
class RowResult:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    track: Optional[Track] = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def preview(self) -> str:
        text = self.values.get("title") or self.values.get("name") or ""
        return text if len(text) <= 80 else text[:80] + "…"


@dataclass
class Report:
    kind: str
    rows: list[RowResult]
    imported: int = 0
    created_people: int = 0
    codes: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    done: bool = False

    @property
    def valid(self) -> list[RowResult]:
        return [r for r in self.rows if r.ok]

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.rows if not r.ok]


YES = {"1", "да", "yes", "true", "y", "д", "+", "согласен", "согласна"}
NO = {"", "0", "нет", "no", "false", "n", "н", "-"}
# Rows hidden or merged in the source stay out of the draft here too: they come in hidden,
# so an export → import round trip neither loses them nor publishes them.
STATUS_VALUES = {"": "published", "published": "published", "опубликовано": "published",
                 "pending": "pending", "на модерации": "pending", "hidden": "hidden",
                 "скрыто": "hidden", "merged": "merged", "объединено": "merged"}
KIND_VALUES = {"idea": "idea", "идея": "idea", "project": "project", "проект": "project",
               "practice": "practice", "практика": "practice", "": "idea"}


def validate(kind: str, event: Event, table: Table, mapping: dict[str, int],
             fixed_track: Optional[Track] = None, note: str = "") -> Report:
    """Check every row; nothing is written here."""
    check_mapping(kind, table.headers, mapping, fixed_track is not None)
    specs = fields_for(kind, fixed_track is not None)
    tracks = {}
    for track in event.tracks:
        tracks[fold(track.slug)] = track
        tracks[fold(track.title)] = track
    seen: set = set()
    existing = existing_keys(kind, event)
    results = []
    for line, row in zip(table.lines, table.rows):
        values = {key: row[index] for key, index in mapping.items()}
        result = RowResult(line=line, values=values)
        for spec in specs:
            value = values.get(spec.key, "")
            if spec.required and not value:
                result.errors.append(_("пустое поле «%(f)s»", f=spec.label))
            elif len(value) > spec.limit:
                result.errors.append(_("слишком длинное поле «%(f)s»: %(n)d символов, можно "
                                       "%(max)d", f=spec.label, n=len(value), max=spec.limit))
            elif value:
                result.errors.extend(form_rule_errors(kind, spec, value))
        consent = fold(values.get("consent", ""))
        if consent not in YES | NO:
            result.errors.append(_("непонятное согласие «%(v)s» (нужно «да» или «нет»)",
                                   v=values["consent"]))
        if kind == "proposals":
            check_proposal_row(result, values, tracks, fixed_track)
        key = duplicate_key(kind, values, result.track)
        if result.ok and key in existing:
            result.errors.append(_("такое уже есть в мероприятии"))
        elif result.ok and key in seen:
            result.errors.append(_("повтор строки выше в файле"))
        if result.ok:
            seen.add(key)
        results.append(result)
    return Report(kind=kind, rows=results, note=note or table.note)


# The form a person would have filled for each imported column: a row passes only what the
# form would accept (the same validators, e.g. a title of at least 5 characters).
FORM_FIELDS = {"proposals": (ProposalForm, {"title": "title", "body": "body",
                                            "expected_result": "expected_result",
                                            "partners": "partners"}),
               "participants": (JoinForm, {"name": "display_name"})}


def form_rule_errors(kind: str, spec: Field, value: str) -> list[str]:
    """The form's own validators on one imported value, as «label»: message."""
    form_class, fields = FORM_FIELDS[kind]
    if spec.key not in fields:
        return []
    form = form_class(formdata=None, meta={"csrf": False})
    field = form[fields[spec.key]]
    field.data = value
    if field.validate(form):
        return []
    return [f"«{spec.label}»: {message}" for message in field.errors]


def check_proposal_row(result: RowResult, values: dict, tracks: dict,
                       fixed_track: Optional[Track]) -> None:
    if fixed_track is not None:
        result.track = fixed_track
    elif values.get("track"):
        result.track = tracks.get(fold(values["track"]))
        if result.track is None:
            known = ", ".join(sorted({f"«{t.title}»" for t in tracks.values()}))
            result.errors.append(_("неизвестный трек «%(t)s» (есть: %(known)s)",
                                   t=values["track"], known=known))
    if fold(values.get("status", "")) not in STATUS_VALUES:
        result.errors.append(_("неизвестный статус «%(v)s» (опубликовано, на модерации, "
                               "скрыто)", v=values["status"]))
    if fold(values.get("kind", "")) not in KIND_VALUES:
        result.errors.append(_("неизвестный тип «%(v)s» (идея, проект или практика)",
                               v=values["kind"]))


def duplicate_key(kind: str, values: dict, track: Optional[Track]) -> tuple:
    if kind == "participants":
        return (fold(values.get("name", "")), fold(values.get("library", "")))
    return (track.id if track else None, fold(values.get("title", "")),
            fold(values.get("body", "")))


def existing_keys(kind: str, event: Event) -> set:
    if kind == "participants":
        return {(fold(n), fold(lib)) for n, lib in db.session.execute(
            sa.select(User.display_name, User.library).where(
                User.event_id == event.id, User.role == Role.participant))}
    return {(t, fold(title), fold(body)) for t, title, body in db.session.execute(
        sa.select(Proposal.track_id, Proposal.title, Proposal.body).where(
            Proposal.event_id == event.id))}


# --------------------------------------------------------------------------- writing


def apply(report: Report, event: Event) -> Report:
    """Write all valid rows in one transaction; on any database error write none."""
    if not report.valid:
        raise OperationError(_("Нет ни одной строки без ошибок — импортировать нечего."), 400)
    try:
        if report.kind == "participants":
            import_participants(report, event)
        else:
            import_proposals(report, event)
        db.session.commit()
    except OperationError:
        db.session.rollback()
        raise
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        raise OperationError(_("База данных не приняла импорт; ничего не записано. "
                               "Попробуйте ещё раз."), 409)
    report.done = True
    return report


def consent_of(values: dict) -> bool:
    """Explicit «да/нет» wins; otherwise a library or municipality in the file is meant to be
    shown (it is what the export writes only with consent)."""
    if "consent" in values and fold(values["consent"]):
        return fold(values["consent"]) in YES
    return bool(values.get("library") or values.get("municipality"))


def import_participants(report: Report, event: Event) -> None:
    for row in report.valid:
        values = row.values
        user = User(event_id=event.id, role=Role.participant, display_name=values["name"],
                    library=values.get("library", ""), municipality=values.get("municipality", ""),
                    consent_public_affiliation=consent_of(values))
        report.codes.append((user.display_name, user.set_return_code()))
        db.session.add(user)
        report.imported += 1
    db.session.flush()


def import_proposals(report: Report, event: Event) -> None:
    authors = {(fold(u.display_name), fold(u.library)): u for u in db.session.scalars(
        sa.select(User).where(User.event_id == event.id, User.role == Role.participant))}
    for row in report.valid:
        values = row.values
        author = None
        if values.get("name"):
            key = (fold(values["name"]), fold(values.get("library", "")))
            author = authors.get(key)
            if author is None:
                author = User(event_id=event.id, role=Role.participant,
                              display_name=values["name"], library=values.get("library", ""),
                              municipality=values.get("municipality", ""),
                              consent_public_affiliation=consent_of(values))
                db.session.add(author)
                db.session.flush()
                authors[key] = author
                report.created_people += 1
        proposal = Proposal(
            event_id=event.id, track_id=row.track.id, author_id=author.id if author else None,
            title=values["title"], body=values["body"],
            kind=ProposalKind(KIND_VALUES[fold(values.get("kind", ""))]),
            expected_result=values.get("expected_result", ""),
            partners=values.get("partners", ""), source="import")
        status = STATUS_VALUES[fold(values.get("status", ""))]
        proposal.status = ProposalStatus.pending if status == "pending" else (
            ProposalStatus.published if status == "published" else ProposalStatus.hidden)
        if status in ("hidden", "merged"):
            proposal.hidden_reason = _("В исходных данных: %(s)s.", s=values["status"])
        proposal.refresh_search_text()
        db.session.add(proposal)
        db.session.flush()
        record_change(event.id, ChangeKind.proposal_created, track_id=row.track.id,
                      proposal_id=proposal.id, status=proposal.status.value)
        report.imported += 1


# --------------------------------------------------------------------------- the upload store
# The file waits in instance/imports/ between the upload and the column mapping, so that any
# server process can continue; files older than a day are removed.

UPLOAD_TTL_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def upload_dir() -> Path:
    from flask import current_app

    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(meta: dict, raw: bytes) -> str:
    clean_old_uploads()
    token = secrets.token_urlsafe(18)
    (upload_dir() / f"{token}.bin").write_bytes(raw)
    (upload_dir() / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False))
    return token


def load_upload(token: str) -> Optional[tuple[dict, bytes]]:
    if not _TOKEN.match(token or ""):
        return None
    data, meta = upload_dir() / f"{token}.bin", upload_dir() / f"{token}.json"
    if not data.exists() or not meta.exists():
        return None
    return json.loads(meta.read_text()), data.read_bytes()


def drop_upload(token: str) -> None:
    if _TOKEN.match(token or ""):
        for suffix in (".bin", ".json"):
            (upload_dir() / f"{token}{suffix}").unlink(missing_ok=True)


def clean_old_uploads() -> None:
    limit = time.time() - UPLOAD_TTL_SECONDS
    for path in upload_dir().iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
