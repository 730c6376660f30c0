"""Creating and editing proposals, and libraries joining projects."""
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from strategy.auth.models import User
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import (ensure_can_moderate, ensure_event_allows, ensure_member,
                                        ensure_staff_edits)
from strategy.events.models import ModerationMode, Track
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.proposals.models import (LibraryJoin, Proposal, ProposalKind, ProposalRevision,
                                       ProposalStatus)

EDITABLE_FIELDS = ("title", "body", "kind", "expected_result", "partners")


def ensure_can_post(track: Track, author: User) -> None:
    ensure_member(author, track.event)
    ensure_event_allows(track.event, "propose")
    if not track.accepts_proposals():
        raise OperationError(_("Приём предложений в треке «%(track)s» закрыт.", track=track.title),
                             409)
    if author.is_muted:
        raise OperationError(_("Модератор ограничил вам возможность публиковать."), 403)


@operation
def create_proposal(track: Track, author: User, data: dict[str, Any], *,
                    source: str = "app", check_phase: bool = True) -> Proposal:
    """Submit a proposal; with pre-moderation it waits in the queue."""
    if check_phase:
        ensure_can_post(track, author)
    else:  # imports bring proposals collected beforehand, whatever the phase
        ensure_member(author, track.event)
        ensure_staff_edits(track.event)
    pre = track.event.moderation_mode is ModerationMode.pre and source == "app"
    proposal = Proposal(event_id=track.event_id, track_id=track.id, author_id=author.id,
                        title=data["title"].strip(), body=data["body"].strip(),
                        kind=ProposalKind(data.get("kind") or "idea"),
                        expected_result=(data.get("expected_result") or "").strip(),
                        partners=(data.get("partners") or "").strip(), source=source,
                        status=ProposalStatus.pending if pre else ProposalStatus.published)
    proposal.refresh_search_text()
    db.session.add(proposal)
    db.session.flush()
    record_change(track.event_id, ChangeKind.proposal_created, track_id=track.id, proposal_id=proposal.id,
                  status=proposal.status.value)
    db.session.commit()
    return proposal


def snapshot(proposal: Proposal) -> dict[str, str]:
    return {"title": proposal.title, "body": proposal.body, "kind": proposal.kind.value,
            "expected_result": proposal.expected_result, "partners": proposal.partners}


@operation
def update_proposal(proposal: Proposal, editor: User, data: dict[str, Any], *,
                    as_moderator: bool = False) -> Proposal:
    """Save the previous state as a revision, then apply the edit."""
    if as_moderator:
        ensure_can_moderate(editor, proposal.track)
        if not proposal.event.takes_staff_edits():
            raise OperationError(proposal.event.closed_notice("edit"), 409)
    elif not proposal.event.can_take_part("edit"):
        raise OperationError(proposal.event.closed_notice("edit"), 409)
    elif not proposal.can_edit(editor):
        raise OperationError(_("Редактировать это предложение сейчас нельзя."), 403)
    if proposal.status is ProposalStatus.merged:
        raise OperationError(_("Предложение объединено с другим; редактируйте итоговое."), 409)
    before = snapshot(proposal)
    db.session.add(ProposalRevision(proposal_id=proposal.id, editor_id=editor.id, **before))
    for field in EDITABLE_FIELDS:
        if field in data and data[field] is not None:
            value = data[field].strip() if isinstance(data[field], str) else data[field]
            setattr(proposal, field, ProposalKind(value) if field == "kind" else value)
    proposal.refresh_search_text()
    record_change(proposal.event_id, ChangeKind.proposal_updated, track_id=proposal.track_id,
                  proposal_id=proposal.id)
    db.session.commit()
    return proposal


@operation
def join_project(proposal: Proposal, user: User, *, library: str, municipality: str = "",
                 note: str = "") -> LibraryJoin:
    """The user's library declares it joins the project; once per person per proposal."""
    ensure_member(user, proposal.event)
    ensure_event_allows(proposal.event, "join")
    if proposal.status is not ProposalStatus.published:
        raise OperationError(_("Присоединиться можно только к опубликованному предложению."), 409)
    if not library.strip():
        raise OperationError(_("Укажите библиотеку."), 400)
    join = LibraryJoin(proposal_id=proposal.id, user_id=user.id, library=library.strip()[:200],
                       municipality=municipality.strip()[:120], note=note.strip()[:500])
    db.session.add(join)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise OperationError(_("Ваша библиотека уже присоединилась к этому проекту."), 409)
    bump(proposal.id, Proposal.join_count, +1)
    record_change(proposal.event_id, ChangeKind.join, track_id=proposal.track_id, proposal_id=proposal.id)
    db.session.commit()
    return join


@operation
def leave_project(proposal: Proposal, user: User) -> None:
    """The user's library no longer joins the project."""
    ensure_member(user, proposal.event)
    ensure_event_allows(proposal.event, "join")
    join = db.session.scalar(sa.select(LibraryJoin).where(
        LibraryJoin.proposal_id == proposal.id, LibraryJoin.user_id == user.id))
    if join is None:
        raise OperationError(_("Ваша библиотека не присоединялась к этому проекту."), 409)
    db.session.delete(join)
    bump(proposal.id, Proposal.join_count, -1)
    record_change(proposal.event_id, ChangeKind.join, track_id=proposal.track_id, proposal_id=proposal.id)
    db.session.commit()


def bump(proposal_id: int, column, delta: int) -> None:
    """Atomic counter change in SQL, so concurrent requests never lose an update."""
    db.session.execute(sa.update(Proposal).where(Proposal.id == proposal_id)
                       .values({column: column + delta})
                       .execution_options(synchronize_session=False))
