"""Writes of the workspace: starting and executing grouping runs, and every human edit of the
draft (rename, move, merge, split, lock, editorial state), each logged as a SectionEdit."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from strategy.auth.models import User
from strategy.core.db import utcnow
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_can_manage
from strategy.core.templating import count_word
from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.workspace.grouping import cluster_track
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
    """Mark runs that stopped reporting as failed, so a crash never blocks the track forever."""
    limit = utcnow() - STALE_AFTER
    stale = list(db.session.scalars(sa.select(ClusterRun).where(
        ClusterRun.event_id == event.id,
        ClusterRun.status.in_([RunStatus.queued, RunStatus.running]),
        ClusterRun.updated_at < limit)))
    for run in stale:
        fail_run(run, _("Группировка прервалась (сервер перезапускался). Запустите её снова."))
    if stale:
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


@operation
def set_progress(run: ClusterRun, progress: int, message: str) -> None:
    """Commit progress at once: the page polls it from another process."""
    run.progress = max(0, min(100, progress))
    run.message = message
    db.session.commit()


@operation
def execute_run(run_id: int) -> ClusterRun:
    """Do the grouping of a queued run; state and progress go to the database."""
    run = db.session.get(ClusterRun, run_id)
    if run is None or run.status is not RunStatus.queued:
        raise OperationError(_("Этот запуск уже выполнен или отменён."), 409)
    run.status = RunStatus.running
    run.started_at = utcnow()
    set_progress(run, 2, _("Готовим тексты…"))
    event = db.session.get(Event, run.event_id)
    tracks = [run.track] if run.track_id else list(event.tracks)
    log: list[str] = []
    try:
        for index, track in enumerate(tracks):
            share = 100 / len(tracks)
            set_progress(run, int(index * share) + 3,
                         _("Трек «%(track)s»: группируем предложения…", track=track.title))
            n_proposals, n_sections, notes = group_track(track, run)
            run.n_proposals += n_proposals
            run.n_sections += n_sections
            log.extend(f"«{track.title}»: {note}" for note in notes)
            set_progress(run, int((index + 1) * share),
                         _("Трек «%(track)s» готов.", track=track.title))
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
    run.progress = 100
    run.finished_at = utcnow()
    run.log = log
    run.message = done_message(run)
    db.session.execute(sa.delete(RunLock).where(RunLock.run_id == run.id))
    db.session.commit()
    return run


def done_message(run: ClusterRun) -> str:
    if run.n_proposals == 0:
        return _("Готово, но группировать было нечего: в треке нет опубликованных предложений.")
    return _("Готово: %(proposals)s, %(sections)s.",
             proposals=count_word(run.n_proposals, "предложение", "предложения", "предложений",
                                  "proposal", "proposals"),
             sections=count_word(run.n_sections, "раздел", "раздела", "разделов", "section",
                                 "sections"))


@operation
def group_track(track: Track, run: ClusterRun) -> tuple[int, int, list[str]]:
    """Cluster one track and store the result; returns (proposals, sections, notes)."""

    result = cluster_track(track)
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
    for position, row in enumerate(result.sections.itertuples(index=False)):
        key = as_int(row.section)
        section = existing.get(key) if key in known else None
        if section is None:
            section = DraftSection(event_id=track.event_id, track_id=track.id,
                                   title=str(row.title)[:TITLE_MAX], is_other=bool(row.is_other))
            db.session.add(section)
        section.key_terms = [str(term) for term in row.key_terms]
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
    for section in kept:
        db.session.refresh(section)
        refresh_summary(section)
    return list(kept)


def as_int(value: Any) -> Any:
    """Section ids come back as numpy ints; compare them as Python ints."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


# --------------------------------------------------------------------------- summaries


def refresh_summary(section: DraftSection) -> None:
    """A generated summary follows the members; a summary written by a person stays."""
    if not section.summary_edited:
        section.summary = make_summary(section)


# --------------------------------------------------------------------------- human edits


def log_edit(section: Optional[DraftSection], actor: Optional[User], action: str,
             **details: Any) -> None:
    db.session.add(SectionEdit(event_id=section.event_id if section else details.pop("event_id"),
                               section_id=section.id if section else None,
                               actor_id=actor.id if actor else None, action=action,
                               details=details or None))


def ensure_editable(section: DraftSection, actor: Optional[User], *,
                    structure: bool = True) -> None:
    """Only the event's methodical group; no edits while the track is being grouped; locked
    sections keep their members."""
    ensure_can_manage(actor, section.track.event)
    if track_is_busy(section.track_id):
        raise OperationError(_("Идёт группировка этого трека. Изменения можно будет внести, "
                               "когда она закончится."), 409)
    if structure and section.locked:
        raise OperationError(_("Раздел «%(title)s» закреплён. Снимите закрепление, чтобы "
                               "менять его состав.", title=section.title), 409)


def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise OperationError(_("Введите название раздела."), 400)
    if len(title) > TITLE_MAX:
        raise OperationError(_("Название раздела — не больше %(n)d символов (сейчас %(m)d).",
                               n=TITLE_MAX, m=len(title)), 400)
    return title


@operation
def rename_section(section: DraftSection, actor: User, title: str,
                   summary: Optional[str] = None) -> DraftSection:
    """Rename a section (the name survives re-runs) and optionally rewrite its summary."""
    ensure_editable(section, actor, structure=False)
    title = clean_title(title)  # validate everything before changing anything
    if summary is not None:
        summary = summary.strip()
        if len(summary) > SUMMARY_MAX:
            raise OperationError(_("Краткое содержание — не больше %(n)d символов.",
                                   n=SUMMARY_MAX), 400)
    before = {"title": section.title, "summary": section.summary}
    section.title = title
    if summary is not None:
        if summary != before["summary"]:
            section.summary_edited = bool(summary)
            section.summary = summary
            refresh_summary(section)
    log_edit(section, actor, "rename", before=before,
             after={"title": section.title, "summary": section.summary})
    db.session.commit()
    return section


@operation
def set_locked(section: DraftSection, actor: User, locked: bool) -> DraftSection:
    ensure_editable(section, actor, structure=False)
    if section.locked != locked:
        section.locked = locked
        log_edit(section, actor, "lock" if locked else "unlock")
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
        log_edit(section, actor, "state", before=section.state.value, after=new_state.value)
        section.state = new_state
        section.state_changed_by_id = actor.id if actor else None
        section.state_changed_at = utcnow()
        db.session.commit()
    return section


@operation
def move_proposal(proposal: Proposal, target: DraftSection, actor: User) -> SectionAssignment:
    """Put a proposal into another section of its track; it stays there on re-runs."""
    if target.track_id != proposal.track_id:
        raise OperationError(_("Перенести можно только в раздел того же трека."), 400)
    if proposal.status is not ProposalStatus.published:
        raise OperationError(_("В проект входят только опубликованные предложения."), 409)
    ensure_editable(target, actor)
    assignment = db.session.scalar(sa.select(SectionAssignment).where(
        SectionAssignment.proposal_id == proposal.id))
    source = assignment.section if assignment else None
    if source is not None:
        ensure_editable(source, actor)
    if source is target:
        return assignment
    if assignment is None:
        assignment = SectionAssignment(proposal_id=proposal.id, section_id=target.id)
        db.session.add(assignment)
    assignment.section_id = target.id
    assignment.pinned = True
    assignment.representative = False
    db.session.flush()
    log_edit(target, actor, "move", proposal=proposal.id,
             source=source.id if source else None, source_title=source.title if source else "")
    for section in {target, source} - {None}:
        db.session.refresh(section)
        refresh_summary(section)
    db.session.commit()
    return assignment


@operation
def merge_sections(source: DraftSection, target: DraftSection, actor: User) -> DraftSection:
    """Move all proposals of source into target and delete source; target keeps its name."""
    if source.id == target.id:
        raise OperationError(_("Выберите другой раздел для объединения."), 400)
    if source.track_id != target.track_id:
        raise OperationError(_("Объединять можно только разделы одного трека."), 400)
    ensure_editable(source, actor)
    ensure_editable(target, actor)
    moved = [a.proposal_id for a in source.assignments]
    db.session.execute(sa.update(SectionAssignment)
                       .where(SectionAssignment.section_id == source.id)
                       .values(section_id=target.id, pinned=True)
                       .execution_options(synchronize_session=False))
    target.key_terms = list(dict.fromkeys((target.key_terms or []) + (source.key_terms or [])))[:8]
    log_edit(target, actor, "merge", source=source.id, source_title=source.title,
             proposals=moved)
    db.session.flush()
    db.session.expire(source)
    db.session.delete(source)
    db.session.flush()
    db.session.refresh(target)
    refresh_summary(target)
    db.session.commit()
    return target


@operation
def split_section(section: DraftSection, actor: User, proposal_ids: Iterable[int],
                  title: str) -> DraftSection:
    """Move the chosen proposals of a section into a new section with the given title."""
    ensure_editable(section, actor)
    title = clean_title(title)
    wanted = {int(pid) for pid in proposal_ids}
    members = {a.proposal_id: a for a in section.assignments}
    if not wanted:
        raise OperationError(_("Отметьте предложения, которые перейдут в новый раздел."), 400)
    if not wanted <= set(members):
        raise OperationError(_("Отмеченные предложения не входят в этот раздел."), 400)
    if wanted == set(members):
        raise OperationError(_("Отмечены все предложения раздела: переименуйте раздел вместо "
                               "разделения."), 400)
    position = db.session.scalar(sa.select(sa.func.max(DraftSection.position)).where(
        DraftSection.track_id == section.track_id)) or 0
    new = DraftSection(event_id=section.event_id, track_id=section.track_id, title=title,
                       key_terms=[], position=position + 1, run_id=section.run_id)
    db.session.add(new)
    db.session.flush()
    for pid in wanted:
        members[pid].section_id = new.id
        members[pid].pinned = True
    db.session.flush()
    log_edit(new, actor, "split", source=section.id, source_title=section.title,
             proposals=sorted(wanted))
    for s in (section, new):
        db.session.refresh(s)
        refresh_summary(s)
    db.session.commit()
    return new
