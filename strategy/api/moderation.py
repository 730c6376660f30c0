"""Moderation in /api/v1, built from the one table of actions (strategy/moderation/actions.py).

URL rules (under /api/v1/events/<id>/moderation; facilitators of the track and organisers):
  POST  /proposals/<pid>/approve|hide|restore|pin|unpin|merge|dismiss-flags
  POST  /comments/<cid>/approve|hide|restore|dismiss-flags
  POST  /users/<uid>/mute|unmute
hide takes {"reason": "…"}, merge takes {"target": <proposal number>}.
"""
from strategy.api import ID, bp
from strategy.api.auth import signed_in
from strategy.api.schemas import MergeArgs, ModeratedSchema, ReasonArgs, envelope
from strategy.api.serializers import proposal_to_dict, reply_to_dict, user_to_dict
from strategy.core.loading import load_event
from strategy.events.queries import supported_ids
from strategy.moderation.actions import (ACTIONS, COMMENT, PROPOSAL, REASON, TARGET, USER,
                                         Action, ensure_allowed, load_target)

BASE = f"/events/<{ID}:event_id>/moderation"
PATHS = {PROPOSAL: f"{BASE}/proposals/<{ID}:object_id>",
         COMMENT: f"{BASE}/comments/<{ID}:object_id>",
         USER: f"{BASE}/users/<{ID}:object_id>"}
INPUTS = {(REASON,): ReasonArgs, (TARGET,): MergeArgs}


def moderated(result, actor) -> dict:
    """The changed object under its kind's key (the others are null)."""
    data = {PROPOSAL: None, COMMENT: None, USER: None}
    kind = type(result).__name__.lower()
    if kind == PROPOSAL:
        data[PROPOSAL] = proposal_to_dict(result, actor, supported_ids(actor, [result.id]))
    elif kind == COMMENT:
        data[COMMENT] = reply_to_dict(result, actor)
    else:
        data[USER] = user_to_dict(result)
    return data


def api_view(action: Action):
    """The API's handler for one action: load, check the right, run, answer in the envelope."""

    def view(*args, event_id: int, object_id: int):
        inputs = args[0] if args else {}
        actor = signed_in()
        event = load_event(event_id)
        obj = load_target(action, event, object_id)
        ensure_allowed(action, actor, obj)
        result = action.perform(obj, actor, event, **inputs)
        return {"success": True, "data": moderated(result, actor),
                "meta": {"message": action.done(result)}}

    view.__name__ = f"moderate_{action.target}_{action.name.replace('-', '_')}"
    view.__doc__ = action.summary
    if action.inputs:
        view = bp.arguments(INPUTS[action.inputs])(view)
    view = bp.response(200, envelope(ModeratedSchema))(view)
    return bp.route(f"{PATHS[action.target]}/{action.name}", methods=["POST"],
                    endpoint=view.__name__, tags=["moderation"])(view)


for _action in ACTIONS:
    api_view(_action)
