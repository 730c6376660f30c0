"""Raw data downloads: CSV (UTF-8 with BOM, so Excel reads Cyrillic), JSON with a documented
shape, and a Pol.is-shaped ZIP (summary.csv, comments.csv, votes.csv, participants-votes.csv).

Every text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a leading apostrophe (strategy.core.spreadsheet), so a spreadsheet never runs it as a formula;
imports strip it again.

JSON shape (``format`` = "strategy-workshop-export", ``version`` = 1; see docs/export-json.md)::

    {
      "format": "strategy-workshop-export", "version": 1,
      "generated_at": "2026-09-29T18:00:00+08:00",          # event time zone
      "event": {"id", "title", "code", "timezone", "starts_on", "ends_on", "place"},
      "tracks": [{"slug", "title", "participants_supporting",
                  "sections": [{"id", "title", "key_terms", "summary", "state", "locked",
                                "is_other", "few_data", "proposal_ids",
                                "supports", "supporters", "agreement": {...},
                                "partners": [{"name", "proposal_ids"}]}]}],
      "proposals": [{"id", "track", "title", "body", "kind", "expected_result", "partners",
                     "status", "in_draft", "merged_into", "hidden_reason", "section_id",
                     "author": {"id", "name", "library", "municipality"},
                     "support_count", "comment_count", "join_count",
                     "joined_libraries": [{"library", "municipality"}],
                     "agreement": {"support_share", "for", "against", "contested"},
                     "official_answer": {"state", "state_label", "body", "updated_at"} | null,
                     "assessments": {"count", "mean", "low", "high", "std"} | null,
                     "source", "created_at"}],
      "comments": [{"id", "proposal_id", "parent_id", "author_id", "author_name", "body",
                    "stance", "status", "created_at"}],
      "supports": [{"proposal_id", "participant_id", "track", "created_at"}],
      "participants": [{"id", "name", "library", "municipality", "consent", "proposals",
                        "supports", "comments", "joined_at"}],
      "polls": [{"id", "question", "kind", "state", "track", "opened_at", "closed_at",
                 "total", "results": [{"answer", "count", "percent"}]}],
      "statistics": {"participants", "supporters", "proposals_published", ...}
    }

Library and municipality are empty strings where the participant did not agree to show them.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime, timezone
from typing import Any, Iterable

import pandas as pd

from strategy.core.spreadsheet import neutralise
from strategy.core.templating import to_event_time
from strategy.export.drafts import (ExportData, comments_table, participants_table,
                                    proposals_table, section_views, sections_table,
                                    statistics, supports_table)
from strategy.polls.queries import polls_for_export, result_rows
from strategy.proposals.models import ProposalStatus

CSV_DELIMITER = ";"  # what Excel expects in the Russian locale


def cell(value: Any) -> Any:
    """CSV-safe value: booleans as 1/0, None as empty, date-times as 'YYYY-MM-DD HH:MM' (the
    event's time), text neutralised."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return neutralise(value)


# Column headers of the downloads, in Russian; the JSON keeps the English keys.
def headers() -> dict[str, dict[str, str]]:
    from flask_babel import gettext as _

    return {
        "proposals": {
            "id": "id", "track": _("трек"), "track_title": _("название трека"),
            "title": _("заголовок"), "body": _("текст"), "kind": _("тип"),
            "expected_result": _("ожидаемый результат"), "partners": _("партнёры"),
            "status": _("статус"), "in_draft": _("в проекте"),
            "merged_into": _("объединено с"), "hidden_reason": _("причина скрытия"),
            "section_id": _("id раздела"), "section_title": _("раздел"),
            "author_id": _("id автора"), "author_name": _("автор"),
            "author_library": _("библиотека"), "author_municipality": _("муниципалитет"),
            "support_count": _("поддержек"), "comment_count": _("комментариев"),
            "join_count": _("присоединений"), "joined_libraries": _("присоединились"),
            "support_share": _("поддержали, % участников трека"),
            "comments_for": _("комментариев «за»"), "comments_against": _("комментариев «против»"),
            "contested": _("спорное"), "source": _("источник"), "created_at": _("создано")},
        "sections": {
            "id": "id", "track": _("трек"), "title": _("раздел"),
            "key_terms": _("ключевые слова"), "summary": _("кратко"), "state": _("состояние"),
            "locked": _("закреплён"), "is_other": _("прочее"), "proposals": _("предложений"),
            "supports": _("поддержек"), "supporters": _("поддержавших"),
            "track_supporters": _("поддержавших в треке"), "few_data": _("мало данных"),
            "support_share": _("поддержали, % участников трека"),
            "comments_for": _("комментариев «за»"), "comments_against": _("комментариев «против»"),
            "contested": _("есть спорные"), "contested_proposals": _("спорных предложений"),
            "state_changed_by": _("состояние изменил(а)"),
            "state_changed_at": _("когда изменено")},
        "supports": {"proposal_id": _("id предложения"), "participant_id": _("id участника"),
                     "track": _("трек"), "created_at": _("когда")},
        "comments": {"id": "id", "proposal_id": _("id предложения"),
                     "parent_id": _("ответ на"), "author_id": _("id автора"),
                     "author_name": _("автор"), "body": _("текст"), "stance": _("позиция"),
                     "status": _("статус"), "created_at": _("создано")},
        "participants": {"id": "id", "name": _("имя"), "library": _("библиотека"),
                         "municipality": _("муниципалитет"),
                         "consent": _("согласие показывать библиотеку"),
                         "proposals": _("предложений"), "supports": _("поддержек"),
                         "comments": _("комментариев"), "joined_at": _("присоединился")},
    }


TABLES = {"proposals": proposals_table, "sections": sections_table,
          "supports": supports_table, "comments": comments_table,
          "participants": participants_table}


def table(data: ExportData, name: str) -> pd.DataFrame:
    return TABLES[name](data)


def csv_bytes(rows: Iterable[Iterable[Any]], delimiter: str = CSV_DELIMITER,
              bom: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def build_csv(data: ExportData, name: str = "proposals") -> bytes:
    """One table as CSV with Russian headers; UTF-8 with BOM, ';' between columns."""
    frame = table(data, name)
    names = headers()[name]
    rows = [[names[c] for c in frame.columns]]
    rows.extend(frame.itertuples(index=False, name=None))
    return csv_bytes(rows)


# --------------------------------------------------------------------------- JSON


def iso_local(value: datetime | None, tz: str) -> str | None:
    return to_event_time(value, tz).isoformat() if value else None


def build_json(data: ExportData, track=None) -> bytes:
    """The whole event's data (or one track's) in the shape documented in the module
    docstring."""
    event = data.event
    proposals = proposals_table(data)
    review = data.review
    joins = {pid: [{"library": j.library, "municipality": j.municipality} for j in items]
             for pid, items in data.joins.items()}
    created = {p.id: p.created_at for p in data.proposals}
    document = {
        "format": "strategy-workshop-export", "version": 1,
        "generated_at": iso_local(data.generated_at, data.tz),
        "event": {"id": event.id, "title": event.title, "code": event.code,
                  "timezone": event.timezone, "place": event.place,
                  "starts_on": event.starts_on.isoformat() if event.starts_on else None,
                  "ends_on": event.ends_on.isoformat() if event.ends_on else None},
        "tracks": [track_json(data, track) for track in data.tracks],
        "proposals": [dict(proposal_json(row, joins, created, data.tz),
                           official_answer=answer_json(review.answers.get(row["id"]), data.tz),
                           assessments=figures_json(review.figures.get(row["id"])))
                      for row in proposals.to_dict("records")],
        "comments": [dict(r, parent_id=r["parent_id"] or None, author_id=r["author_id"] or None,
                          stance=r["stance"] or None, created_at=iso_local(c.created_at, data.tz))
                     for r, c in zip(comments_table(data).to_dict("records"), data.comments)],
        "supports": [{"proposal_id": p, "participant_id": u,
                      "track": next(t.slug for t in data.tracks if t.id == track),
                      "created_at": iso_local(c, data.tz)} for p, u, track, c in data.support_rows],
        "participants": [dict(r, joined_at=iso_local(u.created_at, data.tz))
                         for r, u in zip(participants_table(data).to_dict("records"),
                                         data.participants)],
        "polls": polls_json(event, track, data.tz),
        "statistics": statistics(data),
    }
    return json.dumps(document, ensure_ascii=False, indent=1, default=plain).encode("utf-8")


def answer_json(answer, tz: str) -> dict | None:
    if answer is None:
        return None
    return {"state": answer.state.value, "state_label": answer.state.label, "body": answer.body,
            "updated_at": iso_local(answer.updated_at, tz)}


def figures_json(figures) -> dict | None:
    """Expert assessments of a proposal in numbers (of each expert's mean over the criteria)."""
    if figures is None or not figures.count:
        return None
    return {"count": figures.count, "mean": two_places(figures.mean),
            "low": two_places(figures.low), "high": two_places(figures.high),
            "std": two_places(figures.std)}


def two_places(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def polls_json(event, track, tz: str) -> list[dict]:
    """The polls run in the hall (drafts left out) with their results, as the DOCX lists them."""
    return [{"id": poll.id, "question": poll.question, "kind": poll.kind.value,
             "state": poll.state.value, "track": poll.track.slug if poll.track else None,
             "opened_at": iso_local(poll.opened_at, tz),
             "closed_at": iso_local(poll.closed_at, tz),
             "total": results["total"],
             "results": [{"answer": answer, "count": count, "percent": share}
                         for answer, count, share in result_rows(poll, results)]}
            for poll, results in polls_for_export(event, track.id if track else None)]


def plain(value: Any) -> Any:
    """numpy numbers and other scalars as plain JSON values."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def track_json(data: ExportData, track) -> dict:
    sections = []
    for view in section_views(data, track):
        if view.section is None:
            continue
        s = view.section
        sections.append({"id": s.id, "title": s.title, "key_terms": s.key_terms or [],
                         "summary": view.summary, "state": s.state.value, "locked": s.locked,
                         "is_other": s.is_other, "few_data": view.few_data,
                         "proposal_ids": [p.id for p in view.items],
                         "supports": view.supports_total, "supporters": view.supporters,
                         "agreement": {"support_share": view.agreement.percent,
                                       "for": view.agreement.for_,
                                       "against": view.agreement.against,
                                       "contested_proposals":
                                           view.agreement.contested_proposals},
                         "partners": [{"name": p.name, "proposal_ids": p.proposal_ids}
                                      for p in view.partners]})
    return {"slug": track.slug, "title": track.title,
            "participants_supporting": data.track_supporters(track.id), "sections": sections}


def proposal_json(row: dict, joins: dict, created: dict, tz: str) -> dict:
    return {
        "id": row["id"], "track": row["track"], "title": row["title"], "body": row["body"],
        "kind": row["kind"], "expected_result": row["expected_result"],
        "partners": row["partners"], "status": row["status"], "in_draft": row["in_draft"],
        "merged_into": row["merged_into"] or None, "hidden_reason": row["hidden_reason"],
        "section_id": row["section_id"] or None,
        "author": {"id": row["author_id"] or None, "name": row["author_name"],
                   "library": row["author_library"],
                   "municipality": row["author_municipality"]},
        "support_count": row["support_count"], "comment_count": row["comment_count"],
        "join_count": row["join_count"], "joined_libraries": joins.get(row["id"], []),
        "agreement": {"support_share": row["support_share"], "for": row["comments_for"],
                      "against": row["comments_against"], "contested": row["contested"]},
        "source": row["source"], "created_at": iso_local(created[row["id"]], tz),
    }


# --------------------------------------------------------------------------- Pol.is


POLIS_MODERATED = {ProposalStatus.published: 1, ProposalStatus.pending: 0,
                   ProposalStatus.hidden: -1, ProposalStatus.merged: -1}


def unix(value: datetime | None) -> int:
    return int(value.replace(tzinfo=timezone.utc).timestamp()) if value else 0


def polis_datetime(value: datetime | None) -> str:
    return value.replace(tzinfo=timezone.utc).strftime("%a %b %d %Y %H:%M:%S GMT+0000") \
        if value else ""


def build_polis(data: ExportData) -> bytes:
    """A ZIP in the shape of Pol.is' export: proposals are its comments (statements), and a
    support is an agree vote (1). Hidden and merged proposals are moderated out (-1)."""
    proposals = data.proposals
    comments = [["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees",
                 "moderated", "comment-body"]]
    for p in proposals:
        comments.append([unix(p.created_at), polis_datetime(p.created_at), p.id,
                         p.author_id or "", len(data.supporters.get(p.id, ())), 0,
                         POLIS_MODERATED[p.status], f"{p.title}. {p.body}"])
    votes = [["timestamp", "datetime", "comment-id", "voter-id", "vote"]]
    for proposal_id, user_id, _, created in data.support_rows:
        votes.append([unix(created), polis_datetime(created), proposal_id, user_id, 1])
    voters = sorted({user for _, user, _, _ in data.support_rows})
    commenters = {p.author_id for p in proposals if p.author_id}
    summary = [["topic", data.event.title], ["url", ""], ["voters", len(voters)],
               ["voters-in-conv", len(voters)], ["commenters", len(commenters)],
               ["comments", len(proposals)], ["groups", len(data.sections)],
               ["conversation-description", data.event.description]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.csv", csv_bytes(summary, ",", bom=False))
        archive.writestr("comments.csv", csv_bytes(comments, ",", bom=False))
        archive.writestr("votes.csv", csv_bytes(votes, ",", bom=False))
        archive.writestr("participants-votes.csv",
                         csv_bytes(participant_votes(data, voters), ",", bom=False))
    return buffer.getvalue()


def participant_votes(data: ExportData, voters: list[int]) -> list[list[Any]]:
    """One row per voter, one column per proposal (1 = supported), as Pol.is writes it."""
    ids = [p.id for p in data.proposals]
    by_user: dict[int, set[int]] = {}
    for proposal_id, user_id, _, _ in data.support_rows:
        by_user.setdefault(user_id, set()).add(proposal_id)
    authored: dict[int, int] = {}
    for p in data.proposals:
        if p.author_id:
            authored[p.author_id] = authored.get(p.author_id, 0) + 1
    rows = [["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"]
            + [str(i) for i in ids]]
    for user in voters:
        supported = by_user.get(user, set())
        rows.append([user, "", authored.get(user, 0), len(supported), len(supported), 0]
                    + [1 if i in supported else "" for i in ids])
    return rows
