"""Supporting a proposal and withdrawing the support."""
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from strategy.auth.models import User
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_event_allows, ensure_member
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.proposals.operations import bump
from strategy.supports.models import Support


def supports_used(user: User, track_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Support.id)).where(
        Support.user_id == user.id, Support.track_id == track_id)) or 0


def votes_left(user, track) -> int | None:
    """Supports a person may still give in a dot-voting track (None: unlimited, or anonymous)."""
    if track.support_budget is None or not getattr(user, "is_authenticated", False):
        return None
    return max(0, track.support_budget - supports_used(user, track.id))


def has_supported(user: User, proposal: Proposal) -> bool:
    return db.session.scalar(sa.select(Support.id).where(
        Support.user_id == user.id, Support.proposal_id == proposal.id)) is not None


def ensure_can_support(proposal: Proposal, user: User) -> None:
    ensure_member(user, proposal.event)
    ensure_event_allows(proposal.event, "support")
    if proposal.status is not ProposalStatus.published:
        raise OperationError(_("Поддержать можно только опубликованное предложение."), 409)
    if not proposal.track.accepts_supports():
        raise OperationError(_("Поддержка в треке «%(track)s» закрыта.",
                               track=proposal.track.title), 409)
    if not proposal.event.allow_self_support and proposal.author_id == user.id:
        raise OperationError(_("Своё предложение поддержать нельзя."), 403)


@operation
def add_support(proposal: Proposal, user: User) -> Proposal:
    """One support per person per proposal: the unique constraint decides under concurrency."""
    ensure_can_support(proposal, user)
    budget = proposal.track.support_budget
    if budget is not None:
        # Lock the person's row (PostgreSQL) so two parallel clicks cannot overspend the budget.
        db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
        if supports_used(user, proposal.track_id) >= budget:
            raise OperationError(_("Вы уже использовали все голоса в этом треке (%(n)d).",
                                   n=budget), 409)
    db.session.add(Support(proposal_id=proposal.id, user_id=user.id, track_id=proposal.track_id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise OperationError(_("Вы уже поддержали это предложение."), 409)
    # Count only while the proposal is still published: a merge or hide that committed since we
    # read it makes this update touch no row, and the support is refused instead of stranded.
    counted = db.session.execute(
        sa.update(Proposal).where(Proposal.id == proposal.id,
                                  Proposal.status == ProposalStatus.published)
        .values(support_count=Proposal.support_count + 1)
        .execution_options(synchronize_session=False))
    if counted.rowcount != 1:
        db.session.rollback()
        raise OperationError(_("Поддержать можно только опубликованное предложение."), 409)
    record_change(proposal.event_id, ChangeKind.support, track_id=proposal.track_id,
                  proposal_id=proposal.id)
    db.session.commit()
    db.session.refresh(proposal)
    return proposal


@operation
def withdraw_support(proposal: Proposal, user: User) -> Proposal:
    """Take one's support back while support is open."""
    ensure_member(user, proposal.event)
    ensure_event_allows(proposal.event, "support")
    if not proposal.track.accepts_supports():
        raise OperationError(_("Поддержка в треке «%(track)s» закрыта.",
                               track=proposal.track.title), 409)
    deleted = db.session.execute(sa.delete(Support).where(
        Support.proposal_id == proposal.id, Support.user_id == user.id))
    if deleted.rowcount == 0:
        db.session.rollback()
        raise OperationError(_("Вы не поддерживали это предложение."), 409)
    bump(proposal.id, Proposal.support_count, -1)
    record_change(proposal.event_id, ChangeKind.support, track_id=proposal.track_id,
                  proposal_id=proposal.id)
    db.session.commit()
    db.session.refresh(proposal)
    return proposal
