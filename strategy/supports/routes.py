"""Support and withdraw: a form POST for every browser, JSON for our fetch() calls."""
from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from strategy.core.errors import wants_json
from strategy.core.loading import load_event, load_proposal
from strategy.supports import bp
from strategy.supports.operations import add_support, votes_left, withdraw_support


def respond(event, proposal, supported: bool, message: str):
    if wants_json():
        show = proposal.track.counts_visible_to(current_user)
        return jsonify({"success": True, "data": {
            "proposal_id": proposal.id, "supported": supported,
            "support_count": proposal.support_count if show else None,
            "budget_left": votes_left(current_user, proposal.track), "message": message}})
    flash(message, "success")
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("proposals.detail", event_id=event.id, proposal_id=proposal.id)
    return redirect(target)


@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>/support", methods=["POST"])
@login_required
def support(event_id: int, proposal_id: int):
    event = load_event(event_id)
    proposal = add_support(load_proposal(event, proposal_id), current_user)
    return respond(event, proposal, True, _("Вы поддержали предложение."))


@bp.route("/events/<int:event_id>/proposals/<int:proposal_id>/unsupport", methods=["POST"])
@login_required
def unsupport(event_id: int, proposal_id: int):
    event = load_event(event_id)
    proposal = withdraw_support(load_proposal(event, proposal_id), current_user)
    return respond(event, proposal, False, _("Поддержка отозвана."))
