"""Writes of the workspace: starting and executing grouping runs, and every human edit of the
draft (rename, move, merge, split, lock, editorial state), each logged as a SectionEdit."""
from __future__ import annotations

import logging
import threading
import math
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Optional, Sequence

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from strategy.auth.models import User
from strategy.core.db import utcnow
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_can_manage, ensure_staff_edits
from strategy.core.typography import typograph
from strategy.events.models import Event, Track
from strategy.jobs import queue
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.workspace.grouping import cluster_track
from strategy.workspace.queries import (latest_grouping, own_edits, placements, run_counts,
                                        regrouped_after)
from strategy.workspace.summaries import make_summary
from strategy.workspace.models import (ClusterRun, DraftSection, RunLock, RunStatus,
                                       SectionAssignment, SectionEdit, SectionState)

logger = logging.getLogger(__name__)

TITLE_MAX = 200
SUMMARY_MAX = 2000
#: A run whose row was not touched for this long died with its process (e.g. a restart).
STALE_AFTER = timedelta(minutes=15)


# --------------------------------------------------------------------------- runs


@operation
def start_run(event: Event, track: Optional[Track], user: Optional[User]) -> ClusterRun:
    """Queue a run for one track or all; a second run on a busy track is refused (409).
    ``user`` is None only at the command line (the server's operator)."""
    if user is not None:
        ensure_can_manage(user, event)
    ensure_staff_edits(event)
    tracks = [track] if track is not None else list(event.tracks)
    if not tracks:
        raise OperationError(_("В мероприятии нет треков: группировать нечего."), 400)
    release_stale_locks(event)
    run = ClusterRun(event_id=event.id, track_id=track.id if track else None,
                     status=RunStatus.queued, progress=0, message=_("В очереди"),
                     started_by_id=user.id if user else None)
    db.session.add(run)
    db.session.flush()
    for t in tracks:
        db.session.add(RunLock(track_id=t.id, run_id=run.id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        busy = busy_track_titles(tracks)
        raise OperationError(_("Группировка уже идёт (%(tracks)s). Дождитесь её окончания — "
                               "ход виден на этой странице.", tracks=busy), 409)
    return run


def busy_track_titles(tracks: Iterable[Track]) -> str:
    ids = {t.id for t in tracks}
    locked = set(db.session.scalars(sa.select(RunLock.track_id).where(RunLock.track_id.in_(ids))))
    return ", ".join(f"«{t.title}»" for t in tracks if t.id in locked) or _("этот трек")


@operation
def release_stale_locks(event: Event) -> None:
    """Mark runs that stopped reporting as failed, so a crash never blocks the track forever.
    With the Redis queue a quiet run is failed only when nobody will finish it: a run still
    queued while a worker listens (a long queue), or running in a worker whose heartbeat goes
    on, keeps waiting (strategy.jobs.queue.job_fate)."""
    limit = utcnow() - STALE_AFTER
    stale = list(db.session.scalars(sa.select(ClusterRun).where(
        ClusterRun.event_id == event.id,
        ClusterRun.status.in_([RunStatus.queued, RunStatus.running]),
        ClusterRun.updated_at < limit)))
    failed = False
    for run in stale:
        fate = queue.job_fate("run", run.id)
        if fate in (queue.WAITING, queue.RUNNING):
            continue
        if fate == queue.NO_WORKER:
            queue.stop("run", run.id)  # a worker started later must not run it after all
            fail_run(run, _("Группировка так и не началась: обработчик задач не запущен "
                            "(flask worker). Запустите его и группировку снова."))
        else:
            fail_run(run, _("Группировка прервалась (сервер перезапускался). Запустите её снова."))
        failed = True
    if failed:
        db.session.commit()


def fail_run(run: ClusterRun, message: str) -> None:
    run.status = RunStatus.failed
    run.message = message
    run.finished_at = utcnow()
    db.session.execute(sa.delete(RunLock).where(RunLock.run_id == run.id))


def track_is_busy(track_id: int) -> bool:
    return db.session.get(RunLock, track_id) is not None


def active_run(event: Event) -> Optional[ClusterRun]:
    return db.session.scalar(sa.select(ClusterRun).where(
        ClusterRun.event_id == event.id,
        ClusterRun.status.in_([RunStatus.queued, RunStatus.running]))
        .order_by(ClusterRun.id.desc()).limit(1))


class RunCancelled(Exception):
    """An organiser cancelled the run while it was going (strategy.jobs): stop quietly."""


def ensure_not_cancelled(run_id: int) -> None:
    """Read the run's status as committed by others (no autoflush of our own changes)."""
    with db.session.no_autoflush:
        status = db.session.scalar(sa.select(ClusterRun.status).where(ClusterRun.id == run_id))
    if status is RunStatus.cancelled:
        raise RunCancelled()


@operation
def set_progress(run: ClusterRun, progress: int, message: str) -> None:
    """Commit progress at once: the page polls it from another process. A cancelled run
    stops here (RunCancelled)."""
    ensure_not_cancelled(run.id)
    run.progress = max(0, min(100, progress))
    run.message = message
    db.session.commit()


@operation
def execute_run(run_id: int) -> ClusterRun:
    """Do the grouping of a queued run; state and progress go to the database. Each track
    takes an equal share of the bar; inside it the analysis reports its stages."""
    run = db.session.get(ClusterRun, run_id)
    if run is None or run.status is not RunStatus.queued:
        raise OperationError(_("Этот запуск уже выполнен или отменён."), 409)
    run.status = RunStatus.running
    run.started_at = utcnow()
    run.stage = "prepare"
    set_progress(run, 2, _("Готовим тексты…"))
    event = db.session.get(Event, run.event_id)
    tracks = [run.track] if run.track_id else list(event.tracks)
    log: list[str] = []
    try:
        for index, track in enumerate(tracks):
            share = 100 / len(tracks)
            set_progress(run, int(index * share) + 3,
                         _("Трек «%(track)s»: группируем предложения…", track=track.title))
            reporter = StageReporter(run, track, start=index * share + 3,
                                     span=share - 4, tracks=len(tracks))
            n_proposals, n_sections, notes = group_track(track, run, progress=reporter)
            run.n_proposals += n_proposals
            run.n_sections += n_sections
            log.extend(f"«{track.title}»: {note}" for note in notes)
            set_progress(run, int((index + 1) * share),
                         _("Трек «%(track)s» готов.", track=track.title))
    except RunCancelled:
        db.session.rollback()
        return db.session.get(ClusterRun, run_id)
    except Exception:
        logger.exception("grouping run %s failed", run_id)
        db.session.rollback()
        run = db.session.get(ClusterRun, run_id)
        fail_run(run, _("Группировка не удалась из-за внутренней ошибки. Разделы остались "
                        "прежними; попробуйте ещё раз."))
        run.log = log
        db.session.commit()
        return run
    run.status = RunStatus.done
    run.stage = "done"
    run.progress = 100
    run.finished_at = utcnow()
    run.log = log
    run.message = done_message(run)
    db.session.execute(sa.delete(RunLock).where(RunLock.run_id == run.id))
    db.session.commit()
    return run


def stage_label(stage: Optional[str]) -> str:
    """What the analysis is doing, in words (the stages of ``cluster_proposals``)."""
    return {"prepare": _("готовим тексты"), "vectorize": _("строим признаки текстов"),
            "cluster": _("группируем предложения"), "name": _("называем разделы и пишем "
                                                             "краткое содержание"),
            "duplicates": _("ищем похожие предложения"),
            "done": _("сохраняем разделы")}.get(stage or "", "")


class StageReporter:
    """The analysis' ``progress(stage, fraction)`` as the run's stored stage and percent.

    A track's share of the bar runs from ``start`` over ``span`` per cent. The row is
    committed at once (the page polls it from another process), but only when the stage or
    the whole percent changes, and only from the thread that runs the grouping (the analysis
    calls back from it; another thread has no session of its own)."""

    def __init__(self, run: ClusterRun, track: Track, *, start: float, span: float,
                 tracks: int = 1):
        self.run, self.track = run, track
        self.start, self.span, self.tracks = start, max(span, 0.0), tracks
        self.thread = threading.get_ident()
        self.seen: list[tuple[str, int]] = []  # (stage, percent) as stored, for tests and logs

    def __call__(self, stage: str, fraction: float) -> None:
        if threading.get_ident() != self.thread:
            return
        percent = int(self.start + self.span * max(0.0, min(1.0, float(fraction))))
        percent = max(percent, self.run.progress or 0)  # never backwards
        if self.seen and self.seen[-1] == (stage, percent):
            return
        self.seen.append((stage, percent))
        self.run.stage = stage
        label = stage_label(stage)
        if self.tracks > 1:
            message = _("Трек «%(track)s»: %(stage)s…", track=self.track.title, stage=label)
        else:
            message = _("%(stage)s…", stage=label[:1].upper() + label[1:])
        set_progress(self.run, percent, message)


def done_message(run: ClusterRun) -> str:
    if run.n_proposals == 0:
        return _("Готово, но группировать было нечего: в треке нет опубликованных предложений.")
    proposals, sections = run_counts(run)
    if len(db.session.get(Event, run.event_id).tracks) < 2:
        return _("Готово: %(proposals)s, %(sections)s.", proposals=proposals, sections=sections)
    # The panel shows the event's latest run above whichever track is open: it says which.
    if run.track is None:
        return _("Готово: все треки — %(proposals)s, %(sections)s.", proposals=proposals,
                 sections=sections)
    return _("Готово: трек «%(track)s» — %(proposals)s, %(sections)s.", track=run.track.title,
             proposals=proposals, sections=sections)


@operation
def group_track(track: Track, run: ClusterRun,
                progress=None) -> tuple[int, int, list[str]]:
    """Cluster one track and store the result; returns (proposals, sections, notes).
    ``progress(stage, fraction)`` follows the analysis (see :class:`StageReporter`)."""

    result = cluster_track(track, progress=progress)
    notes = list(result.log)
    if result.assignments.empty:
        notes.append(_("опубликованных предложений нет, разделы не сформированы."))
    elif len(result.assignments) == 1:
        notes.append(_("в треке одно предложение: оно составляет один раздел."))
    sections = apply_result(track, result, run)
    db.session.add(SectionEdit(event_id=track.event_id, actor_id=run.started_by_id,
                               action="run", details={"run": run.id, "track": track.slug,
                                                      "sections": len(sections),
                                                      "proposals": len(result.assignments)}))
    # Open boards of the track redraw: their sections are new (a stale move is refused).
    record_change(track.event_id, BOARD_CHANGE, track_id=track.id, action="run",
                  by=run.started_by_id, sections=sorted(s.id for s in sections), proposals=[])
    db.session.commit()
    return len(result.assignments), len(sections), notes


def apply_result(track: Track, result, run: ClusterRun) -> list[DraftSection]:
    """Replace the track's assignments with the result; keep ids, titles, pins and locks."""
    existing = {s.id: s for s in db.session.scalars(
        sa.select(DraftSection).where(DraftSection.track_id == track.id))}
    rows = db.session.execute(sa.select(SectionAssignment.section_id, SectionAssignment.pinned,
                                        SectionAssignment.proposal_id)
                              .where(SectionAssignment.section_id.in_(list(existing) or [0])))
    rows = rows.all()
    pinned = {r.proposal_id for r in rows if r.pinned}
    # Only sections that were in `previous` can be matched; an id above those is a new one.
    known = {r.section_id for r in rows}
    by_result_id: dict[Any, DraftSection] = {}
    synthesis: dict[Any, Any] = {}
    for position, row in enumerate(result.sections.itertuples(index=False)):
        key = as_int(row.section)
        section = existing.get(key) if key in known else None
        if section is None:
            section = DraftSection(event_id=track.event_id, track_id=track.id,
                                   title=str(row.title)[:TITLE_MAX], is_other=bool(row.is_other))
            db.session.add(section)
        section.key_terms = [str(term) for term in row.key_terms]
        if not section.locked or not section.synthesis:
            synthesis[key] = row  # a locked section keeps what was said of it
        section.position = position
        section.run_id = run.id
        by_result_id[key] = section
    db.session.flush()
    if existing:
        db.session.execute(sa.delete(SectionAssignment).where(
            SectionAssignment.section_id.in_(list(existing))))
    for row in result.assignments.itertuples(index=False):
        proposal_id = int(row.id)
        db.session.add(SectionAssignment(
            section_id=by_result_id[as_int(row.section)].id, proposal_id=proposal_id,
            pinned=proposal_id in pinned, representative=bool(row.is_representative),
            rank=int(row.rank_in_section), score=float(row.score)))
    db.session.flush()
    kept = set(by_result_id.values())
    for section in existing.values():
        if section not in kept and not section.locked:
            db.session.delete(section)
    db.session.flush()
    see_also = see_also_of(result, by_result_id)
    for key, section in by_result_id.items():
        db.session.refresh(section)
        if key in synthesis:
            store_synthesis(section, synthesis[key], see_also.get(section.id, {}))
        elif not section.summary:
            refresh_summary(section)
    return list(kept)


def see_also_of(result, by_result_id: Mapping[Any, DraftSection]) -> dict[int, dict[str, int]]:
    """Per stored section: {proposal id: the other section it fits about as well}."""
    found: dict[int, dict[str, int]] = {}
    if "see_also" not in result.assignments.columns:
        return found
    for row in result.assignments.itertuples(index=False):
        own = by_result_id.get(as_int(row.section))
        others = [by_result_id.get(as_int(s)) for s in (row.see_also or [])]
        others = [o for o in others if o is not None and own is not None and o.id != own.id]
        if others:
            found.setdefault(own.id, {})[str(int(row.id))] = others[0].id
    return found


def quoted_words(proposal: Proposal, quote: Mapping[str, Any]) -> str:
    """The quote without the proposal's title in front (the analysis reads title and body as
    one text): what the author wrote, as the grouping cut it."""
    text = " ".join(str(quote.get("text", "")).split())
    title = " ".join(proposal.title.split()).rstrip(".")
    if title and text.startswith(title) and len(text) > len(title) + 2:
        text = text[len(title):].lstrip(".!?:; ")
    return text


def store_synthesis(section: DraftSection, row, see_also: Mapping[str, int]) -> None:
    """Keep what the grouping said of a section: its summary (unless a person wrote one),
    quotes with their authors, subtopics, cross-references, title coverage and, for
    «Прочее», why its texts are there."""
    members = {a.proposal_id: a.proposal for a in section.assignments}
    quotes = []
    for quote in (getattr(row, "quotes", None) or []):
        proposal = members.get(as_int(quote.get("id")))
        if proposal is None:
            continue
        quotes.append({"proposal_id": proposal.id, "text": quoted_words(proposal, quote),
                       "author": proposal.author.display_name if proposal.author else ""})
    subtopics = [{"title": str(part.get("title", "")),
                  "proposal_ids": [int(i) for i in part.get("ids", []) if as_int(i) in members]}
                 for part in (getattr(row, "subtopics", None) or [])]
    coverage = getattr(row, "coverage", None)
    try:
        coverage = float(coverage)
        coverage = round(coverage, 4) if not math.isnan(coverage) else None
    except (TypeError, ValueError):
        coverage = None
    summary = typograph(str(getattr(row, "summary", "") or ""))
    section.synthesis = {
        "summary": summary, "size": len(members), "coverage": coverage,
        "reason": str(getattr(row, "reason", "") or "") if section.is_other else "",
        "quotes": quotes, "subtopics": [s for s in subtopics if s["proposal_ids"]],
        "see_also": dict(see_also),
    }
    if not section.summary_edited:
        section.summary = summary or make_summary(section)


def as_int(value: Any) -> Any:
    """Section ids come back as numpy ints; compare them as Python ints."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


# --------------------------------------------------------------------------- summaries


def retitle_summary(section: DraftSection, old: str, new: str) -> None:
    """A generated summary names the section («по теме «…»»): it follows a rename."""
    old_q, new_q = f"«{old}»", f"«{new}»"
    section.summary = (section.summary or "").replace(old_q, new_q)
    if section.synthesis and section.synthesis.get("summary"):
        section.synthesis = {**section.synthesis,
                             "summary": section.synthesis["summary"].replace(old_q, new_q)}


def refresh_summary(section: DraftSection) -> None:
    """A generated summary follows the members; a summary written by a person stays."""
    if not section.summary_edited:
        section.summary = make_summary(section)


# --------------------------------------------------------------------------- human edits

#: The change kind live boards follow. The feed is public: its payload names ids, no titles.
BOARD_CHANGE = ChangeKind.section_edit
#: Edit-log actions a person can take back with «Отменить».
UNDOABLE = ("rename", "move", "merge", "split", "lock", "unlock", "state")


def log_edit(section: Optional[DraftSection], actor: Optional[User], action: str,
             **details: Any) -> SectionEdit:
    event_id = section.event_id if section else details.pop("event_id")
    if section is not None:
        details.setdefault("track_id", section.track_id)
    edit = SectionEdit(event_id=event_id, section_id=section.id if section else None,
                       actor_id=actor.id if actor else None, action=action,
                       details=details or None)
    db.session.add(edit)
    return edit


def announce(event_id: int, track_id: int, actor: Optional[User], action: str,
             sections: Iterable[Optional[int]] = (),
             proposals: Iterable[int] = ()) -> None:
    """A change row for open boards (same transaction as the edit)."""
    record_change(event_id, BOARD_CHANGE, track_id=track_id, action=action,
                  by=actor.id if actor else None,
                  sections=sorted({s for s in sections if s is not None}),
                  proposals=sorted(set(proposals)))


def ensure_track_free(track: Track) -> None:
    if track_is_busy(track.id):
        raise OperationError(_("Идёт группировка этого трека. Изменения можно будет внести, "
                               "когда она закончится."), 409)


def ensure_editable(section: DraftSection, actor: Optional[User], *,
                    structure: bool = True) -> None:
    """Only the event's methodical group; no edits while the track is being grouped; locked
    sections keep their members."""
    ensure_can_manage(actor, section.track.event)
    ensure_staff_edits(section.track.event)
    ensure_track_free(section.track)
    if structure and section.locked:
        raise OperationError(_("Раздел «%(title)s» закреплён. Снимите закрепление, чтобы "
                               "менять его состав.", title=section.title), 409)


def ensure_same_grouping(track: Track, seen_run: Optional[int]) -> None:
    """A board drawn before the grouping re-ran shows sections that are no longer there as the
    person saw them: refuse, and the board shows the new arrangement."""
    if seen_run is None:
        return
    if (latest_grouping(track) or 0) != seen_run:
        raise OperationError(_("Пока вы работали, трек «%(track)s» сгруппировали заново. Доска "
                               "показывает новые разделы — повторите действие, если оно ещё "
                               "нужно.", track=track.title), 409)


def ensure_as_seen(proposals: Sequence[Proposal], current: dict[int, SectionAssignment],
                   expected: Optional[Mapping[int, Optional[int]]]) -> None:
    """Each proposal is still where the person saw it (``expected``: proposal id → section id
    or None); a move that raced another person's move is reported, not applied over it."""
    if expected is None:
        return
    for proposal in proposals:
        if proposal.id not in expected:
            continue
        assignment = current.get(proposal.id)
        if (assignment.section_id if assignment else None) != expected[proposal.id]:
            where = (_("в разделе «%(title)s»", title=assignment.section.title) if assignment
                     else _("вне разделов"))
            raise OperationError(_("Пока вы переносили, предложение «%(title)s» уже перенесли: "
                                   "сейчас оно %(where)s. Доска обновлена — перенесите его ещё "
                                   "раз, если нужно.", title=proposal.title, where=where), 409)


def fold_title(title: str) -> str:
    return " ".join(title.casefold().replace("ё", "е").split())


def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise OperationError(_("Введите название раздела."), 400)
    if len(title) > TITLE_MAX:
        raise OperationError(_("Название раздела — не больше %(n)d символов (сейчас %(m)d).",
                               n=TITLE_MAX, m=len(title)), 400)
    return title


def taken_titles(track_id: int, except_id: Optional[int] = None) -> set[str]:
    stmt = sa.select(DraftSection.title).where(DraftSection.track_id == track_id)
    if except_id is not None:
        stmt = stmt.where(DraftSection.id != except_id)
    return {fold_title(t) for t in db.session.scalars(stmt)}


def ensure_unique_title(track: Track, title: str, except_id: Optional[int] = None) -> None:
    """Two sections of one track with the same name would read as one in the draft."""
    if fold_title(title) in taken_titles(track.id, except_id):
        raise OperationError(_("В треке уже есть раздел «%(title)s». Выберите другое "
                               "название.", title=title), 400)


def free_title(track: Track, base: str) -> str:
    """«Новый раздел», or «Новый раздел 2» … when that name is taken."""
    taken = taken_titles(track.id)
    title, n = base, 1
    while fold_title(title) in taken:
        n += 1
        title = f"{base} {n}"
    return title


@operation
def rename_section(section: DraftSection, actor: User, title: str,
                   summary: Optional[str] = None) -> DraftSection:
    """Rename a section (the name survives re-runs) and optionally rewrite its summary."""
    ensure_editable(section, actor, structure=False)
    title = clean_title(title)  # validate everything before changing anything
    ensure_unique_title(section.track, title, except_id=section.id)
    if summary is not None:
        summary = summary.strip()
        if len(summary) > SUMMARY_MAX:
            raise OperationError(_("Краткое содержание — не больше %(n)d символов.",
                                   n=SUMMARY_MAX), 400)
    before = {"title": section.title, "summary": section.summary,
              "summary_edited": section.summary_edited}
    section.title = title
    if summary is not None:
        if summary != before["summary"]:
            section.summary_edited = bool(summary)
            section.summary = summary
            refresh_summary(section)
    if not section.summary_edited and before["title"] != title:
        retitle_summary(section, before["title"], title)
    log_edit(section, actor, "rename", before=before,
             after={"title": section.title, "summary": section.summary})
    announce(section.event_id, section.track_id, actor, "rename", [section.id])
    db.session.commit()
    return section


@operation
def set_locked(section: DraftSection, actor: User, locked: bool) -> DraftSection:
    ensure_editable(section, actor, structure=False)
    if section.locked != locked:
        section.locked = locked
        log_edit(section, actor, "lock" if locked else "unlock")
        announce(section.event_id, section.track_id, actor, "lock", [section.id])
        db.session.commit()
    return section


@operation
def set_state(section: DraftSection, actor: User, state: str) -> DraftSection:
    """Editorial state черновик → на проверке → согласовано, with who and when."""
    try:
        new_state = SectionState(state)
    except ValueError:
        raise OperationError(_("Неизвестное состояние раздела."), 400)
    ensure_editable(section, actor, structure=False)
    if section.state is not new_state:
        log_edit(section, actor, "state", before=section.state.value, after=new_state.value,
                 before_by=section.state_changed_by_id,
                 before_at=section.state_changed_at.isoformat()
                 if section.state_changed_at else None)
        section.state = new_state
        section.state_changed_by_id = actor.id if actor else None
        section.state_changed_at = utcnow()
        announce(section.event_id, section.track_id, actor, "state", [section.id])
        db.session.commit()
    return section


def ensure_in_track(proposals: Sequence[Proposal], track_id: int) -> None:
    for proposal in proposals:
        if proposal.track_id != track_id:
            raise OperationError(_("Перенести можно только в раздел того же трека."), 400)
        if proposal.status is not ProposalStatus.published:
            raise OperationError(_("Предложение «%(title)s» не опубликовано: в проект входят "
                                   "только опубликованные предложения.", title=proposal.title),
                                 409)


def place(proposals: Sequence[Proposal], target: DraftSection,
          current: dict[int, SectionAssignment]) -> list[dict[str, Any]]:
    """Put the proposals into target, pinned; returns what each was before (for undo).

    Each assignment changes only if it is still in the section it was read in (one UPDATE
    with that condition), so a move that raced another person's is refused, never applied
    over it, on SQLite and PostgreSQL alike."""
    moves = []
    for proposal in proposals:
        assignment = current.get(proposal.id)
        if assignment is not None and assignment.section_id == target.id:
            continue
        moves.append({"proposal": proposal.id,
                      "source": assignment.section_id if assignment else None,
                      "pinned": assignment.pinned if assignment else False,
                      "representative": assignment.representative if assignment else False})
        if assignment is None:
            assignment = SectionAssignment(proposal_id=proposal.id, section_id=target.id,
                                           pinned=True)
            db.session.add(assignment)
            current[proposal.id] = assignment
            try:
                db.session.flush()
            except IntegrityError:
                raise_raced(proposal)
            continue
        changed = db.session.execute(
            sa.update(SectionAssignment)
            .where(SectionAssignment.id == assignment.id,
                   SectionAssignment.section_id == assignment.section_id)
            .values(section_id=target.id, pinned=True, representative=False)
            .execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise_raced(proposal)
        db.session.expire(assignment)
    db.session.flush()
    return moves


def raise_raced(proposal: Proposal) -> None:
    raise OperationError(_("Пока вы переносили, предложение «%(title)s» перенёс кто-то "
                           "другой. Доска обновлена — перенесите его ещё раз, если нужно.",
                           title=proposal.title), 409)


def refresh_sections(sections: Iterable[Optional[DraftSection]]) -> None:
    for section in {s for s in sections if s is not None}:
        db.session.refresh(section)
        refresh_summary(section)


@operation
def move_proposals(proposals: Sequence[Proposal], target: DraftSection, actor: User, *,
                   expected: Optional[Mapping[int, Optional[int]]] = None,
                   seen_run: Optional[int] = None) -> list[dict[str, Any]]:
    """Put several proposals into a section of their track at once: one edit, one undo. Each
    stays there on re-runs. A move that raced another person's (``expected``) or a board drawn
    before the grouping re-ran (``seen_run``) is refused with 409 and nothing moves."""
    proposals = list(dict.fromkeys(proposals))
    if not proposals:
        raise OperationError(_("Выберите предложения, которые нужно перенести."), 400)
    ensure_editable(target, actor)
    ensure_same_grouping(target.track, seen_run)
    ensure_in_track(proposals, target.track_id)
    current = placements((p.id for p in proposals), lock=True)
    ensure_as_seen(proposals, current, expected)
    sources = {a.section for a in current.values()} - {target}
    for source in sources:
        ensure_editable(source, actor)
    moves = place(proposals, target, current)
    if not moves:
        return moves
    first = moves[0]
    first_source = db.session.get(DraftSection, first["source"]) if first["source"] else None
    log_edit(target, actor, "move", proposal=first["proposal"], source=first["source"],
             source_title=first_source.title if first_source else "", moves=moves)
    refresh_sections([target, *sources])
    announce(target.event_id, target.track_id, actor, "move",
             [target.id, *(s.id for s in sources)], [m["proposal"] for m in moves])
    db.session.commit()
    return moves


@operation
def move_proposal(proposal: Proposal, target: DraftSection, actor: User) -> SectionAssignment:
    """Put a proposal into another section of its track; it stays there on re-runs."""
    move_proposals([proposal], target, actor)
    return placements([proposal.id])[proposal.id]


def section_snapshot(section: DraftSection) -> dict[str, Any]:
    """What a merge deletes, so that undo can bring the section back as it was."""
    return {"id": section.id, "title": section.title, "key_terms": section.key_terms or [],
            "summary": section.summary, "summary_edited": section.summary_edited,
            "is_other": section.is_other, "state": section.state.value,
            "state_changed_by": section.state_changed_by_id,
            "state_changed_at": section.state_changed_at.isoformat()
            if section.state_changed_at else None,
            "position": section.position, "run_id": section.run_id}


@operation
def merge_sections(source: DraftSection, target: DraftSection, actor: User, *,
                   seen_run: Optional[int] = None) -> DraftSection:
    """Move all proposals of source into target and delete source; target keeps its name."""
    if source.id == target.id:
        raise OperationError(_("Выберите другой раздел для объединения."), 400)
    if source.track_id != target.track_id:
        raise OperationError(_("Объединять можно только разделы одного трека."), 400)
    ensure_editable(source, actor)
    ensure_editable(target, actor)
    ensure_same_grouping(target.track, seen_run)
    members = [{"proposal": a.proposal_id, "pinned": a.pinned,
                "representative": a.representative, "rank": a.rank, "score": a.score}
               for a in source.assignments]
    moved = [m["proposal"] for m in members]
    db.session.execute(sa.update(SectionAssignment)
                       .where(SectionAssignment.section_id == source.id)
                       .values(section_id=target.id, pinned=True)
                       .execution_options(synchronize_session=False))
    terms_before = list(target.key_terms or [])
    target.key_terms = list(dict.fromkeys(terms_before + (source.key_terms or [])))[:8]
    log_edit(target, actor, "merge", source=source.id, source_title=source.title,
             proposals=moved, snapshot=section_snapshot(source), members=members,
             target_key_terms=terms_before)
    announce(target.event_id, target.track_id, actor, "merge", [source.id, target.id], moved)
    db.session.flush()
    db.session.expire(source)
    db.session.delete(source)
    db.session.flush()
    db.session.refresh(target)
    refresh_summary(target)
    db.session.commit()
    return target


def new_section(track: Track, title: str, run_id: Optional[int]) -> DraftSection:
    position = db.session.scalar(sa.select(sa.func.max(DraftSection.position)).where(
        DraftSection.track_id == track.id)) or 0
    section = DraftSection(event_id=track.event_id, track_id=track.id, title=title,
                           key_terms=[], position=position + 1, run_id=run_id)
    db.session.add(section)
    db.session.flush()
    return section


def split_into_new(track: Track, actor: User, proposals: Sequence[Proposal], title: str,
                   current: dict[int, SectionAssignment]) -> DraftSection:
    """The common part of both splits: a new section, the proposals moved in, one edit."""
    sources = {a.section for a in current.values()}
    first = current[proposals[0].id].section if proposals[0].id in current else None
    new = new_section(track, title, first.run_id if first else latest_grouping(track))
    moves = place(proposals, new, current)
    log_edit(new, actor, "split", source=first.id if first else None,
             source_title=first.title if first else "",
             proposals=sorted(m["proposal"] for m in moves), moves=moves)
    refresh_sections([new, *sources])
    announce(track.event_id, track.id, actor, "split", [new.id, *(s.id for s in sources)],
             [m["proposal"] for m in moves])
    db.session.commit()
    return new


@operation
def split_section(section: DraftSection, actor: User, proposal_ids: Iterable[int],
                  title: str) -> DraftSection:
    """Move the chosen proposals of a section into a new section with the given title."""
    ensure_editable(section, actor)
    title = clean_title(title)
    ensure_unique_title(section.track, title)
    wanted = {int(pid) for pid in proposal_ids}
    members = {a.proposal_id: a for a in section.assignments}
    if not wanted:
        raise OperationError(_("Отметьте предложения, которые перейдут в новый раздел."), 400)
    if not wanted <= set(members):
        raise OperationError(_("Отмеченные предложения не входят в этот раздел."), 400)
    if wanted == set(members):
        raise OperationError(_("Отмечены все предложения раздела: переименуйте раздел вместо "
                               "разделения."), 400)
    proposals = [members[pid].proposal for pid in sorted(wanted)]
    return split_into_new(section.track, actor, proposals, title,
                          {pid: members[pid] for pid in wanted})


@operation
def split_off(track: Track, actor: User, proposals: Sequence[Proposal], title: str = "", *,
              expected: Optional[Mapping[int, Optional[int]]] = None,
              seen_run: Optional[int] = None) -> DraftSection:
    """The board's empty column: cards from any sections of the track become a new section,
    named «Новый раздел» until someone renames it."""
    ensure_can_manage(actor, track.event)
    ensure_staff_edits(track.event)
    ensure_track_free(track)
    ensure_same_grouping(track, seen_run)
    proposals = list(dict.fromkeys(proposals))
    if not proposals:
        raise OperationError(_("Перетащите в новый раздел хотя бы одно предложение."), 400)
    title = clean_title(title) if (title or "").strip() else free_title(track, _("Новый раздел"))
    ensure_unique_title(track, title)
    ensure_in_track(proposals, track.id)
    current = placements((p.id for p in proposals), lock=True)
    ensure_as_seen(proposals, current, expected)
    for source in {a.section for a in current.values()}:
        ensure_editable(source, actor)
    return split_into_new(track, actor, proposals, title, current)


# --------------------------------------------------------------------------- undo


class UndoRefused(OperationError):
    """This edit can no longer be taken back; the next «Отменить» goes to the one before."""


@operation
def undo_last(track: Track, actor: User, *, seen_run: Optional[int] = None) -> SectionEdit:
    """Take back the person's last edit of this track's sections, through the edit log.

    What the edit changed must still be as it left it: if someone changed it since, or the
    grouping re-ran, the undo is refused with the reason (409), nothing changes, and that edit
    is marked so that the next undo reaches the one before."""
    ensure_can_manage(actor, track.event)
    ensure_staff_edits(track.event)
    ensure_track_free(track)
    ensure_same_grouping(track, seen_run)
    edit = next((e for e in own_edits(track, actor.id, UNDOABLE)
                 if not (e.details or {}).get("undone")), None)
    if edit is None:
        raise OperationError(_("Отменять нечего: на этой доске нет ваших изменений, которые "
                               "можно отменить."), 409)
    try:
        if regrouped_after(track, edit.id):
            raise UndoRefused(_("После этого изменения трек сгруппировали заново — отменить его "
                                "уже нельзя."), 409)
        sections, proposals = REVERSE[edit.action](edit, actor)
    except UndoRefused as refused:
        db.session.rollback()
        edit = db.session.get(SectionEdit, edit.id)
        edit.details = {**(edit.details or {}), "undone": "refused"}
        db.session.commit()
        raise OperationError(refused.message + " " + _("Следующее нажатие «Отменить» отменит "
                                                        "ваше предыдущее действие."), 409)
    edit.details = {**(edit.details or {}), "undone": True}
    log_edit(None, actor, "undo", event_id=track.event_id, track_id=track.id, undid=edit.id,
             undid_action=edit.action)
    announce(track.event_id, track.id, actor, "undo", sections, proposals)
    db.session.commit()
    return edit


def section_or_refuse(section_id: Optional[int], title: str = "") -> DraftSection:
    section = db.session.get(DraftSection, section_id) if section_id else None
    if section is None:
        raise UndoRefused(_("Раздела «%(title)s» уже нет: его объединили с другим.",
                            title=title or "—"), 409)
    return section


def check_editable(section: DraftSection, actor: User, *, structure: bool = True) -> None:
    try:
        ensure_editable(section, actor, structure=structure)
    except OperationError as error:
        if error.status == 409:
            raise UndoRefused(error.message, 409)
        raise


def moves_of(edit: SectionEdit) -> list[dict[str, Any]]:
    """The moves an edit made; entries written before undo existed know less."""
    details = edit.details or {}
    if "moves" in details:
        return details["moves"]
    if edit.action == "move":
        return [{"proposal": details["proposal"], "source": details.get("source")}]
    return [{"proposal": pid, "source": details.get("source")}
            for pid in details.get("proposals", [])]


def proposal_title(proposal_id: int) -> str:
    proposal = db.session.get(Proposal, proposal_id)
    return proposal.title if proposal else f"№{proposal_id}"


def take_back(moves: list[dict[str, Any]], target: DraftSection, actor: User,
              source_title: str) -> set[DraftSection]:
    """Put moved proposals back where they were, if they are all still in target."""
    check_editable(target, actor)
    current = placements((m["proposal"] for m in moves), lock=True)
    sources: dict[int, DraftSection] = {}
    for move in moves:
        assignment = current.get(move["proposal"])
        if assignment is None or assignment.section_id != target.id:
            raise UndoRefused(_("Предложение «%(title)s» после этого уже перенесли в другой "
                                "раздел — отменить нельзя.",
                                title=proposal_title(move["proposal"])), 409)
        if move["source"] is not None and move["source"] not in sources:
            sources[move["source"]] = section_or_refuse(move["source"], source_title)
            check_editable(sources[move["source"]], actor)
    for move in moves:
        assignment = current[move["proposal"]]
        if move["source"] is None:
            db.session.delete(assignment)
            continue
        assignment.section_id = move["source"]
        assignment.pinned = bool(move.get("pinned", False))
        assignment.representative = bool(move.get("representative", False))
    db.session.flush()
    return {target, *sources.values()}


def undo_move(edit: SectionEdit, actor: User):
    moves = moves_of(edit)
    target = section_or_refuse(edit.section_id)
    touched = take_back(moves, target, actor, (edit.details or {}).get("source_title", ""))
    refresh_sections(touched)
    return [s.id for s in touched], [m["proposal"] for m in moves]


def undo_split(edit: SectionEdit, actor: User):
    moves = moves_of(edit)
    new = section_or_refuse(edit.section_id)
    if {a.proposal_id for a in new.assignments} != {m["proposal"] for m in moves}:
        raise UndoRefused(_("В раздел «%(title)s» после этого перенесли другие предложения — "
                            "отменить разделение нельзя.", title=new.title), 409)
    touched = take_back(moves, new, actor, (edit.details or {}).get("source_title", ""))
    touched.discard(new)
    new_id = new.id
    db.session.expire(new)
    db.session.delete(new)
    db.session.flush()
    refresh_sections(touched)
    return [new_id, *(s.id for s in touched)], [m["proposal"] for m in moves]


def undo_merge(edit: SectionEdit, actor: User):
    details = edit.details or {}
    snapshot, members = details.get("snapshot"), details.get("members")
    if snapshot is None or members is None:
        raise UndoRefused(_("Это объединение сделано до появления отмены: восстановить раздел "
                            "нельзя."), 409)
    target = section_or_refuse(edit.section_id)
    check_editable(target, actor)
    current = placements((m["proposal"] for m in members), lock=True)
    for member in members:
        assignment = current.get(member["proposal"])
        if assignment is None or assignment.section_id != target.id:
            raise UndoRefused(_("Предложение «%(title)s» после объединения уже перенесли — "
                                "отменить объединение нельзя.",
                                title=proposal_title(member["proposal"])), 409)
    restored = restore_section(snapshot, target.track_id)
    for member in members:
        assignment = current[member["proposal"]]
        assignment.section_id = restored.id
        for key in ("pinned", "representative", "rank", "score"):
            setattr(assignment, key, member[key])
    target.key_terms = details.get("target_key_terms", target.key_terms)
    db.session.flush()
    refresh_sections([target, restored])
    return [target.id, restored.id], [m["proposal"] for m in members]


def restore_section(snapshot: dict[str, Any], track_id: int) -> DraftSection:
    """Bring a merged section back, with its old id when nothing took it (links keep working)."""
    free = db.session.get(DraftSection, snapshot["id"]) is None
    at = snapshot.get("state_changed_at")
    section = DraftSection(
        event_id=db.session.get(Track, track_id).event_id, track_id=track_id,
        title=snapshot["title"], key_terms=snapshot["key_terms"], summary=snapshot["summary"],
        summary_edited=snapshot["summary_edited"], is_other=snapshot["is_other"],
        state=SectionState(snapshot["state"]), state_changed_by_id=snapshot["state_changed_by"],
        state_changed_at=datetime.fromisoformat(at) if at else None,
        position=snapshot["position"], run_id=snapshot["run_id"])
    if free:
        section.id = snapshot["id"]
    db.session.add(section)
    db.session.flush()
    return section


def undo_rename(edit: SectionEdit, actor: User):
    details = edit.details or {}
    section = section_or_refuse(edit.section_id, details["after"]["title"])
    check_editable(section, actor, structure=False)
    if section.title != details["after"]["title"]:
        raise UndoRefused(_("Раздел после этого переименовали ещё раз («%(title)s») — отменить "
                            "переименование нельзя.", title=section.title), 409)
    before = details["before"]
    section.title = before["title"]
    section.summary = before["summary"]
    section.summary_edited = before.get("summary_edited", section.summary_edited)
    return [section.id], []


def undo_lock(edit: SectionEdit, actor: User):
    section = section_or_refuse(edit.section_id)
    check_editable(section, actor, structure=False)
    locked_by_edit = edit.action == "lock"
    if section.locked != locked_by_edit:
        raise UndoRefused(_("Закрепление раздела «%(title)s» после этого уже изменили.",
                            title=section.title), 409)
    section.locked = not locked_by_edit
    return [section.id], []


def undo_state(edit: SectionEdit, actor: User):
    details = edit.details or {}
    section = section_or_refuse(edit.section_id)
    check_editable(section, actor, structure=False)
    if section.state.value != details["after"]:
        raise UndoRefused(_("Состояние раздела «%(title)s» после этого уже изменили.",
                            title=section.title), 409)
    section.state = SectionState(details["before"])
    section.state_changed_by_id = details.get("before_by")
    at = details.get("before_at")
    section.state_changed_at = datetime.fromisoformat(at) if at else None
    return [section.id], []


REVERSE = {"move": undo_move, "split": undo_split, "merge": undo_merge, "rename": undo_rename,
           "lock": undo_lock, "unlock": undo_lock, "state": undo_state}
