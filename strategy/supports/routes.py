"""Support and withdraw as plain form POSTs (the site's JS calls /api/v1 instead)."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from strategy.core.db import lock_late
from strategy.core.loading import load_event_and_proposal
from strategy.core.redirects import safe_next
from strategy.supports import bp
from strategy.supports.operations import add_support, withdraw_support


def back(event, proposal, message: str):
    flash(message, "success")
    return redirect(safe_next(url_for("proposals.detail", event_id=event.id,
                                      proposal_id=proposal.id)))


@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>/support", methods=["POST"])
@lock_late
@login_required
def support(event_id: int, proposal_id: int):
    event, proposal = load_event_and_proposal(event_id, proposal_id)
    proposal = add_support(proposal, current_user)
    return back(event, proposal, _("Вы поддержали предложение."))


@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>/unsupport", methods=["POST"])
@lock_late
@login_required
def unsupport(event_id: int, proposal_id: int):
    event, proposal = load_event_and_proposal(event_id, proposal_id)
    proposal = withdraw_support(proposal, current_user)
    return back(event, proposal, _("Поддержка отозвана."))
