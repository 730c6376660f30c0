"""Live polls in /api/v1: a poll with its results, and a participant's answer.

URL rules (under /api/v1):
  GET   /events/<id>/polls                 polls        anyone (drafts: who runs them)
  POST  /events/<id>/polls                 poll_create  the track's staff, the methodical group
  GET   /events/<id>/polls/<poll>          poll         anyone (drafts: who runs them)
  POST  /events/<id>/polls/<poll>/open     poll_open    the track's staff, the methodical group
  POST  /events/<id>/polls/<poll>/close    poll_close   the track's staff, the methodical group
  POST  /events/<id>/polls/<poll>/answer   poll_answer  members of the event
"""
from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from strategy.api import ID, bp
from strategy.api.auth import signed_in, viewer
from strategy.api.schemas import (InputSchema, Integer, List, OutputSchema, String, envelope,
                                  length, when)
from strategy.core.loading import load_event
from strategy.polls import operations as ops
from strategy.polls.models import Poll
from strategy.polls.operations import WORD_MAX, answer_poll
from strategy.polls.queries import load_poll, my_answer, results, visible_polls

POLLS = f"/events/<{ID}:event_id>/polls"
POLL = f"{POLLS}/<{ID}:poll_id>"


class PollAnswerArgs(InputSchema):
    options = List(Integer(strict=True), validate=validate.Length(
        max=50, error=_l("Слишком много вариантов.")),
        metadata={"description": "Ids of the chosen options (single: exactly one)"})
    value = Integer(strict=True, allow_none=True, metadata={"description": "A scale's value"})
    # The operation trims and checks the length (≤ 40 after trimming), with its own message.
    word = String(allow_none=True, validate=length(0, 200),
                  metadata={"description": f"A word-cloud answer (≤ {WORD_MAX} characters)"})


class PollCreateArgs(InputSchema):
    # Lengths, empty options and the scale are checked by the operation, with its messages.
    question = String(required=True, validate=length(0, 2000))
    kind = String(required=True, validate=length(0, 20),
                  metadata={"description": "single, multiple, scale or words"})
    track = String(load_default="", validate=length(0, 80),
                   metadata={"description": "A track's slug; empty: the whole event"})
    options = List(String(validate=length(0, 2000)), load_default=list,
                          validate=validate.Length(max=50, error=_l("Слишком много вариантов.")),
                          metadata={"description": "The choices (single, multiple)"})
    scale_min = Integer(allow_none=True, load_default=1)
    scale_max = Integer(allow_none=True, load_default=5)


class PollOptionSchema(OutputSchema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)


class PollBarSchema(OutputSchema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)
    percent = fields.Integer(required=True)


class PollWordSchema(OutputSchema):
    word = fields.String(required=True)
    count = fields.Integer(required=True)
    size = fields.Integer(required=True, metadata={"description": "1 (rare) … 5 (most frequent)"})


class PollResultsSchema(OutputSchema):
    total = fields.Integer(required=True, metadata={"description": "People who answered"})
    bars = fields.List(fields.Nested(PollBarSchema), required=True)
    words = fields.List(fields.Nested(PollWordSchema), required=True)
    mean = fields.Float(allow_none=True, required=True)


class MyPollAnswerSchema(OutputSchema):
    options = fields.List(fields.Integer(), required=True)
    value = fields.Integer(allow_none=True, required=True)
    word = fields.String(allow_none=True, required=True)


class PollSchema(OutputSchema):
    id = fields.Integer(required=True)
    event_id = fields.Integer(required=True)
    track_id = fields.Integer(allow_none=True, required=True)
    question = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "single, multiple, scale, words"})
    state = fields.String(required=True, metadata={"description": "draft, open, closed"})
    scale_min = fields.Integer(allow_none=True, required=True)
    scale_max = fields.Integer(allow_none=True, required=True)
    options = fields.List(fields.Nested(PollOptionSchema), required=True)
    opened_at = when(allow_none=True, required=True)
    closed_at = when(allow_none=True, required=True)
    answered = fields.Boolean(required=True)
    my_answer = fields.Nested(MyPollAnswerSchema, allow_none=True, required=True)
    results = fields.Nested(PollResultsSchema, allow_none=True, required=True,
                            metadata={"description": "Shown once the viewer answered, the "
                                      "poll closed, or to those who run it; else null"})


def iso(value):
    return value.isoformat() + "Z" if value else None


def poll_to_dict(poll: Poll) -> dict:
    user = viewer()
    mine = my_answer(poll, user)
    show = poll.results_visible_to(user, mine is not None)
    data = results(poll) if show else None
    return {"id": poll.id, "event_id": poll.event_id, "track_id": poll.track_id,
            "question": poll.question, "kind": poll.kind.value, "state": poll.state.value,
            "scale_min": poll.scale_min, "scale_max": poll.scale_max,
            "options": [{"id": o.id, "text": o.text} for o in poll.options],
            "opened_at": iso(poll.opened_at), "closed_at": iso(poll.closed_at),
            "answered": mine is not None,
            "my_answer": ({k: mine[k] for k in ("options", "value", "word")} if mine else None),
            "results": data}


def visible_poll(event_id: int, poll_id: int) -> Poll:
    poll = load_poll(load_event(event_id), poll_id)
    if not poll.can_view(viewer()):
        abort(404)
    return poll


@bp.route(POLLS)
@bp.response(200, envelope(PollSchema, many=True))
def polls(event_id: int):
    """The event's polls: open ones first, then finished ones; drafts for those who run them."""
    event = load_event(event_id)
    return {"success": True, "data": [poll_to_dict(p) for p in visible_polls(event, viewer())],
            "meta": {}}


@bp.route(POLLS, methods=["POST"])
@bp.arguments(PollCreateArgs)
@bp.response(201, envelope(PollSchema))
def poll_create(data: dict, event_id: int):
    """Create a draft poll (the track's facilitator; the methodical group, also for the whole
    event); it reaches the hall once opened."""
    actor = signed_in()
    made = ops.create_poll(load_event(event_id), actor, ops.PollData(
        question=data["question"], kind=data["kind"], track=data.get("track") or "",
        options=data.get("options") or [], scale_min=data.get("scale_min"),
        scale_max=data.get("scale_max")))
    return {"success": True, "data": poll_to_dict(made),
            "meta": {"message": _("Опрос создан как черновик. Откройте его, когда зал будет "
                                  "готов.")}}


@bp.route(f"{POLL}/open", methods=["POST"])
@bp.response(200, envelope(PollSchema))
def poll_open(event_id: int, poll_id: int):
    """Open a draft poll: the hall may answer, the projector shows it."""
    actor = signed_in()
    target = load_poll(load_event(event_id), poll_id)
    ops.open_poll(target, actor)
    return {"success": True, "data": poll_to_dict(target),
            "meta": {"message": _("Опрос открыт: участники могут отвечать.")}}


@bp.route(f"{POLL}/close", methods=["POST"])
@bp.response(200, envelope(PollSchema))
def poll_close(event_id: int, poll_id: int):
    """Close an open poll: its results are final and stay with the session."""
    actor = signed_in()
    target = load_poll(load_event(event_id), poll_id)
    ops.close_poll(target, actor)
    return {"success": True, "data": poll_to_dict(target),
            "meta": {"message": _("Опрос завершён, итоги сохранены.")}}


@bp.route(POLL)
@bp.response(200, envelope(PollSchema))
def poll(event_id: int, poll_id: int):
    """A live poll, its options, the viewer's answer and (when visible) the results."""
    return {"success": True, "data": poll_to_dict(visible_poll(event_id, poll_id)), "meta": {}}


@bp.route(f"{POLL}/answer", methods=["POST"])
@bp.arguments(PollAnswerArgs)
@bp.response(201, envelope(PollSchema))
def poll_answer(data: dict, event_id: int, poll_id: int):
    """Answer an open poll, once (a second answer is refused with 409, the first counts)."""
    user = signed_in()
    target = visible_poll(event_id, poll_id)
    answer_poll(target, user, options=data.get("options"), value=data.get("value"),
                word=data.get("word"))
    return {"success": True, "data": poll_to_dict(target),
            "meta": {"message": _("Спасибо, ваш ответ учтён.")}}
