"""Participation in /api/v1: events, tracks, proposals, supports, comments, the change feed.

URL rules (under /api/v1; who may call them is decided by the operations and can_* rules):
  GET          /me                                            me             anyone
  GET          /events                                        events         anyone
  GET          /events/<id>                                   event          anyone
  GET          /events/<id>/tracks                            tracks         anyone
  GET          /events/<id>/tracks/<slug>                     track          anyone
  GET          /events/<id>/tracks/<slug>/proposals           proposals      anyone
  POST         /events/<id>/proposals                         create         signed in
  GET          /events/<id>/proposals/similar?track=&q=       similar        anyone
  POST         /events/<id>/proposals/similar  {track, q}     similar_long   anyone
  GET, PATCH   /events/<id>/proposals/<pid>                   proposal, edit viewer / author
  POST, DELETE /events/<id>/proposals/<pid>/support           support        signed in
  GET, POST    /events/<id>/proposals/<pid>/comments          comments       anyone / signed in
  GET          /events/<id>/changes?since=&track=             changes        anyone
"""
import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext as _

from strategy.api import ID, bp
from strategy.api.auth import signed_in, viewer
from strategy.api.schemas import (
    ChangesArgs,
    ChangesSchema,
    CommentCreateArgs,
    CommentSchema,
    EventSchema,
    MeSchema,
    ProposalCreateArgs,
    ProposalEditArgs,
    ProposalListArgs,
    ProposalSchema,
    SimilarArgs,
    SimilarBody,
    SimilarSchema,
    SupportSchema,
    TrackSchema,
    envelope,
)
from strategy.api.serializers import (
    changes_to_dict,
    comment_to_dict,
    event_to_dict,
    proposal_to_dict,
    reply_to_dict,
    support_to_dict,
    track_to_dict,
)
from strategy.comments.models import Comment, CommentStatus
from strategy.comments.operations import add_comment
from strategy.core.db import lock_late
from strategy.core.errors import OperationError
from strategy.core.hardening import read_only
from strategy.core.loading import (load_comment, load_event, load_event_and_proposal,
                                   load_proposal, load_track)
from strategy.events.models import Event
from strategy.events.queries import event_counters, supported_ids, track_counters
from strategy.extensions import db
from strategy.moderation import operations as moderation_ops
from strategy.moderation.queries import similar_to
from strategy.proposals.models import ProposalStatus
from strategy.proposals.operations import create_proposal, update_proposal
from strategy.proposals.queries import ListFilters, proposals_query
from strategy.review.queries import answers_for
from strategy.supports.operations import add_support, withdraw_support

# The same thresholds as the hint on the proposal form had.
SIMILAR_MIN_CHARS = 8
SIMILAR_HINT_MIN = 0.18

EVENT = f"/events/<{ID}:event_id>"
PROPOSAL = f"{EVENT}/proposals/<{ID}:proposal_id>"


def ok(data, **meta) -> dict:
    """The success envelope."""
    return {"success": True, "data": data, "meta": meta}


def visible_proposal(event: Event, proposal_id: int):
    """A proposal this viewer may see; others are a 404, as on the site."""
    proposal = load_proposal(event, proposal_id)
    if not proposal.can_view(viewer()):
        raise OperationError(_("Предложение не найдено."), 404)
    return proposal


def visible_proposal_in(event_id: int, proposal_id: int):
    """visible_proposal with the event, proposal and track read in one query (supports)."""
    _event, proposal = load_event_and_proposal(event_id, proposal_id)
    if not proposal.can_view(viewer()):
        raise OperationError(_("Предложение не найдено."), 404)
    return proposal


def one_proposal(proposal) -> dict:
    user = viewer()
    return proposal_to_dict(proposal, user, supported_ids(user, [proposal.id]))


# --- who am I ------------------------------------------------------------------------------

@bp.route("/me")
@bp.response(200, envelope(MeSchema))
def me():
    """The caller: signed-in person (and how) or anonymous."""
    user = viewer()
    if user is None:
        return ok({"id": None, "display_name": None, "role": None, "event_id": None,
                   "authenticated": False, "via": None})
    return ok({"id": user.id, "display_name": user.display_name, "role": user.role.value,
               "event_id": user.event_id, "authenticated": True, "via": g.get("api_auth")})


# --- events and tracks ---------------------------------------------------------------------

def whole_event(event: Event) -> dict:
    return event_to_dict(event, viewer(), event_counters(event), track_counters(event))


@bp.route("/events")
@bp.response(200, envelope(EventSchema, many=True))
def events():
    """Every event, newest first, with its tracks and counters."""
    rows = db.session.scalars(sa.select(Event).order_by(Event.id.desc()))
    return ok([whole_event(e) for e in rows])


@bp.route(EVENT)
@bp.response(200, envelope(EventSchema))
def event(event_id: int):
    """One event with its tracks, phases and counters."""
    return ok(whole_event(load_event(event_id)))


@bp.route(f"{EVENT}/tracks")
@bp.response(200, envelope(TrackSchema, many=True))
def tracks(event_id: int):
    """The event's tracks: phases, support rules, counters (counts only where visible)."""
    event = load_event(event_id)
    counters = track_counters(event)
    return ok([track_to_dict(t, viewer(), counters) for t in event.tracks])


@bp.route(f"{EVENT}/tracks/<string(maxlength=80):slug>")
@bp.response(200, envelope(TrackSchema))
def track(event_id: int, slug: str):
    event = load_event(event_id)
    return ok(track_to_dict(load_track(event, slug), viewer(), track_counters(event)))


# --- proposals -----------------------------------------------------------------------------

@bp.route(f"{EVENT}/tracks/<string(maxlength=80):slug>/proposals")
@bp.arguments(ProposalListArgs, location="query", as_kwargs=True)
@bp.response(200, envelope(ProposalSchema, many=True))
def proposals(event_id: int, slug: str, **args):
    """A track's published proposals with the track page's filters, sort and pages."""
    event = load_event(event_id)
    track = load_track(event, slug)
    filters = ListFilters(kind=args.get("kind", ""), municipality=args.get("municipality", ""),
                          q=args.get("q", "").strip(), sort=args["sort"], page=args["page"],
                          answer=args.get("answer", ""))
    per_page = current_app.config["PROPOSALS_PER_PAGE"]
    page = db.paginate(proposals_query(track, filters), page=filters.page, per_page=per_page,
                       error_out=False)
    items = list(page.items)
    user = viewer()
    supported = supported_ids(user, [p.id for p in items])
    answers = answers_for(p.id for p in items)
    return ok([proposal_to_dict(p, user, supported, answers) for p in items],
              pagination={"page": filters.page, "per_page": per_page, "total": page.total or 0,
                          "pages": page.pages})


@bp.route(f"{EVENT}/proposals", methods=["POST"])
@bp.arguments(ProposalCreateArgs)
@bp.response(201, envelope(ProposalSchema))
def create(data: dict, event_id: int):
    """Submit a proposal; under pre-moderation it waits for a facilitator (status pending)."""
    event = load_event(event_id)
    track = load_track(event, data["track"])
    proposal = create_proposal(track, signed_in(), data)
    message = (_("Предложение отправлено и появится после проверки модератором.")
               if proposal.status is ProposalStatus.pending
               else _("Предложение опубликовано. Спасибо!"))
    return ok(one_proposal(proposal), message=message)


@bp.route(f"{EVENT}/proposals/similar")
@bp.arguments(SimilarArgs, location="query", as_kwargs=True)
@bp.response(200, envelope(SimilarSchema, many=True))
def similar(event_id: int, track: str, q: str):
    """Published proposals of the track most like a short text (a duplicate hint)."""
    return similar_answer(event_id, track, q)


@bp.route(f"{EVENT}/proposals/similar", methods=["POST"])
@read_only
@bp.arguments(SimilarBody, as_kwargs=True)
@bp.response(200, envelope(SimilarSchema, many=True))
def similar_long(event_id: int, track: str, q: str):
    """The same hint for a whole proposal being typed: its text does not fit in a URL."""
    return similar_answer(event_id, track, q)


def similar_answer(event_id: int, slug: str, text: str):
    event = load_event(event_id)
    track = load_track(event, slug)
    found = (similar_to(text, track.id, min_similarity=SIMILAR_HINT_MIN)
             if len(text.strip()) >= SIMILAR_MIN_CHARS else [])
    show = track.counts_visible_to(viewer())
    return ok([{"id": p.id, "title": p.title, "similarity": round(score, 2),
                "support_count": p.support_count if show else None,
                "url": proposal_to_dict(p, None, set(), {})["url"]} for p, score in found])


@bp.route(PROPOSAL)
@bp.response(200, envelope(ProposalSchema))
def proposal(event_id: int, proposal_id: int):
    """One proposal (a merged one answers with its merged_into_id)."""
    return ok(one_proposal(visible_proposal(load_event(event_id), proposal_id)))


@bp.route(PROPOSAL, methods=["PATCH"])
@bp.arguments(ProposalEditArgs)
@bp.response(200, envelope(ProposalSchema))
def edit(data: dict, event_id: int, proposal_id: int):
    """The author edits while the track accepts proposals; a moderator fixes any time.
    Either way the previous text is kept in the proposal's history."""
    proposal = visible_proposal(load_event(event_id), proposal_id)
    user = signed_in()
    if not data:
        raise OperationError(_("Нечего менять: передайте хотя бы одно поле."), 400)
    if user.id != proposal.author_id and user.can_moderate(proposal.track):
        moderation_ops.edit_proposal(proposal, user, data)
        message = _("Исправление сохранено; прежний текст есть в истории.")
    else:
        update_proposal(proposal, user, data)
        message = _("Изменения сохранены.")
    return ok(one_proposal(proposal), message=message)


# --- supports ------------------------------------------------------------------------------

@bp.route(f"{PROPOSAL}/support", methods=["POST"])
@lock_late
@bp.response(200, envelope(SupportSchema))
def support(event_id: int, proposal_id: int):
    """Support the proposal (once per person; the track's vote budget applies)."""
    user = signed_in()
    proposal = add_support(visible_proposal_in(event_id, proposal_id), user)
    return ok(support_to_dict(proposal, user, True), message=_("Вы поддержали предложение."))


@bp.route(f"{PROPOSAL}/support", methods=["DELETE"])
@lock_late
@bp.response(200, envelope(SupportSchema))
def withdraw(event_id: int, proposal_id: int):
    """Withdraw one's support while support is open."""
    user = signed_in()
    proposal = withdraw_support(visible_proposal_in(event_id, proposal_id), user)
    return ok(support_to_dict(proposal, user, False), message=_("Поддержка отозвана."))


# --- comments ------------------------------------------------------------------------------

@bp.route(f"{PROPOSAL}/comments")
@bp.response(200, envelope(CommentSchema, many=True))
def comments(event_id: int, proposal_id: int):
    """Top-level comments with their replies, oldest first (what this viewer may see)."""
    proposal = visible_proposal(load_event(event_id), proposal_id)
    user = viewer()
    rows = db.session.scalars(sa.select(Comment).where(
        Comment.proposal_id == proposal.id, Comment.parent_id.is_(None)).order_by(Comment.id))
    return ok([comment_to_dict(c, user) for c in rows if c.can_view(user)])


@bp.route(f"{PROPOSAL}/comments", methods=["POST"])
@bp.arguments(CommentCreateArgs)
@bp.response(201, envelope(CommentSchema))
def comment(data: dict, event_id: int, proposal_id: int):
    """Comment, or reply to a comment (a reply to a reply joins its thread)."""
    event = load_event(event_id)
    proposal = visible_proposal(event, proposal_id)
    parent = load_comment(event, data["parent_id"]) if data.get("parent_id") else None
    if parent is not None and not parent.can_view(viewer()):
        raise OperationError(_("Комментарий не найден."), 404)
    created = add_comment(proposal, signed_in(), data["body"], stance=data.get("stance"),
                          parent=parent)
    message = (_("Комментарий появится после проверки модератором.")
               if created.status is CommentStatus.pending else _("Комментарий опубликован."))
    return ok({**reply_to_dict(created, viewer()), "replies": []}, message=message)


# --- the change feed -----------------------------------------------------------------------

@bp.route(f"{EVENT}/changes")
@bp.arguments(ChangesArgs, location="query", as_kwargs=True)
@bp.response(200, envelope(ChangesSchema))
def changes(event_id: int, since: int, track: int | None = None):
    """What changed after the cursor ``since`` (the site's live feed, in the API envelope)."""
    load_event(event_id)
    return ok(changes_to_dict(event_id, since, track, viewer()))
