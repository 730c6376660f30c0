"""The draft review in /api/v1: the published draft, section supports and section comments.

URL rules (under /api/v1; who may call them is decided by the review's operations):
  GET          /events/<id>/draft                               draft             anyone
  POST         /events/<id>/draft/publish                       draft_publish     the methodical group
  POST         /events/<id>/draft/close                         draft_close       the methodical group
  POST, DELETE /events/<id>/draft/sections/<ps>/support         section_support   signed in
  GET, POST    /events/<id>/draft/sections/<ps>/comments        section_comments  anyone / signed in
  POST         /events/<id>/draft/comments/<c>/flag             flag              signed in
  POST         /events/<id>/draft/comments/<c>/approve|hide|restore|dismiss-flags
                                                                moderation        the track's staff
hide takes {"reason": "…"} (shown to the author); flag takes an optional {"reason": "…"};
publish takes {"scope": "all" | "agreed", "ends_at": ISO 8601 time or null}.

Its schemas live here with its views, so the draft review stays one readable piece.
"""
from datetime import timezone
from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from strategy.api import ID, bp
from strategy.api.auth import signed_in, viewer
from strategy.api.schemas import (BASE_MESSAGES, REASON_MAX, AuthorSchema, InputSchema,
                                  OutputSchema, ReasonArgs, RussianMessages, String, envelope,
                                  length, one_of)
from strategy.api.serializers import author, iso
from strategy.core.errors import OperationError
from strategy.core.loading import load_event
from strategy.discussion import operations as ops
from strategy.discussion.models import (SECTION_COMMENT_MAX, SECTION_COMMENT_MIN, DraftReview,
                                    PublishedSection, SectionComment, SectionStance)
from strategy.discussion.queries import (draft_by_track, published_section, review_of,
                                     section_proposals, supported_sections)
from strategy.discussion.queries import section_comment as find_section_comment

DRAFT = f"/events/<{ID}:event_id>/draft"
SECTION = f"{DRAFT}/sections/<{ID}:section_id>"
COMMENT = f"{DRAFT}/comments/<{ID}:comment_id>"
STANCES = [s.value for s in SectionStance]
Str, Int, Bool = fields.String, fields.Integer, fields.Boolean


class StanceCountsSchema(OutputSchema):
    for_ = Int(required=True, data_key="for")
    against = Int(required=True)
    addition = Int(required=True)


class DraftProposalSchema(OutputSchema):
    id = Int(required=True)
    title = Str(required=True)
    support_count = Int(allow_none=True, required=True,
                        metadata={"description": "null while the track hides counts"})
    url = Str(required=True)


class DraftSectionSchema(OutputSchema):
    id = Int(required=True, metadata={"description": "The published section's id"})
    title = Str(required=True)
    summary = Str(required=True)
    key_terms = fields.List(Str(), required=True)
    support_count = Int(required=True)
    comment_count = Int(required=True)
    stances = fields.Nested(StanceCountsSchema, required=True)
    supported = Bool(required=True, metadata={"description": "The caller supports it"})
    proposals = fields.List(fields.Nested(DraftProposalSchema), required=True)


class DraftTrackSchema(OutputSchema):
    id = Int(required=True)
    slug = Str(required=True)
    title = Str(required=True)
    sections = fields.List(fields.Nested(DraftSectionSchema), required=True)


class DraftSchema(OutputSchema):
    event_id = Int(required=True)
    open = Bool(required=True, metadata={"description": "Supports and comments are accepted"})
    scope = Str(required=True, validate=validate.OneOf(["all", "agreed"]))
    opened_at = Str(required=True)
    ends_at = Str(allow_none=True, required=True)
    closed_at = Str(allow_none=True, required=True)
    tracks = fields.List(fields.Nested(DraftTrackSchema), required=True)


class SectionSupportSchema(OutputSchema):
    section_id = Int(required=True)
    supported = Bool(required=True)
    support_count = Int(required=True)


class SectionCommentSchema(OutputSchema):
    id = Int(required=True)
    section_id = Int(required=True)
    body = Str(required=True)
    stance = Str(required=True, validate=validate.OneOf(STANCES))
    status = Str(required=True, validate=validate.OneOf(["pending", "published", "hidden"]))
    hidden_reason = Str(allow_none=True, required=True)
    flag_count = Int(allow_none=True, required=True,
                     metadata={"description": "Open flags; null unless the caller moderates"})
    author = fields.Nested(AuthorSchema, allow_none=True, required=True)
    created_at = Str(required=True)


class SectionCommentArgs(InputSchema):
    body = String(required=True, validate=length(SECTION_COMMENT_MIN, SECTION_COMMENT_MAX))
    stance = String(required=True, validate=one_of(STANCES),
                    metadata={"description": "for (за), against (против), addition (дополнение)"})


class AwareTime(RussianMessages, fields.AwareDateTime):
    """An ISO 8601 time; without a zone it is UTC. Loaded as naive UTC, as times are stored."""

    default_error_messages = {**BASE_MESSAGES, "invalid": _l(
        "Время — в формате ISO 8601, например 2026-12-03T18:00:00+08:00."),
        "invalid_awareness": _l("Укажите часовой пояс времени.")}

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(timezone.utc).replace(tzinfo=None)


class PublishArgs(InputSchema):
    scope = String(load_default="all", validate=one_of(["all", "agreed"]),
                   metadata={"description": "all sections, or only the agreed ones"})
    ends_at = AwareTime(allow_none=True, load_default=None, default_timezone=timezone.utc,
                        metadata={"description": "When the review phase closes by itself"})


class SectionFlagArgs(InputSchema):
    reason = String(load_default="", validate=length(0, REASON_MAX))


def ok(data, **meta) -> dict:
    return {"success": True, "data": data, "meta": meta}


def the_review(event) -> DraftReview:
    review = review_of(event)
    if review is None:
        raise OperationError(_("Проект ещё не опубликован для обсуждения."), 404)
    return review


def reviewed_event(event_id: int):
    """The event, once its draft is published (404 before)."""
    event = load_event(event_id)
    the_review(event)
    return event


def found(obj, not_found: str):
    if obj is None:
        raise OperationError(not_found, 404)
    return obj


def the_section(event_id: int, section_id: int) -> PublishedSection:
    return found(published_section(reviewed_event(event_id), section_id),
                 _("Раздел проекта не найден."))


def the_comment(event_id: int, comment_id: int) -> SectionComment:
    return found(find_section_comment(reviewed_event(event_id), comment_id),
                 _("Комментарий не найден."))


def section_to_dict(section: PublishedSection, members, supported: set[int], user) -> dict:
    show = section.track.counts_visible_to(user)
    stances = section.stance_counts()
    return {"id": section.id, "title": section.title, "summary": section.summary,
            "key_terms": list(section.key_terms or []), "support_count": section.support_count,
            "comment_count": section.comment_count,
            "stances": {"for_": stances["for"], "against": stances["against"],
                        "addition": stances["addition"]},
            "supported": section.id in supported,
            "proposals": [{"id": p.id, "title": p.title,
                           "support_count": p.support_count if show else None,
                           "url": f"/events/{p.event_id}/proposals/{p.id}"} for p in members]}


def comment_to_dict(comment: SectionComment, user: Optional[object]) -> dict:
    insider = user is not None and (user.id == comment.author_id or comment.can_moderate(user))
    return {"id": comment.id, "section_id": comment.published_section_id, "body": comment.body,
            "stance": comment.stance.value, "status": comment.status.value,
            "hidden_reason": comment.hidden_reason if insider and comment.hidden else None,
            "flag_count": comment.flag_count if user is not None and comment.can_moderate(user)
            else None,
            "author": author(comment.author), "created_at": iso(comment.created_at)}


def draft_to_dict(event, review: DraftReview) -> dict:
    user = viewer()
    groups = draft_by_track(review)
    sections = [s for g in groups for s in g.sections]
    members = section_proposals(sections)
    supported = supported_sections(user, review)
    return {"event_id": event.id, "open": review.is_open(), "scope": review.scope.value,
            "opened_at": iso(review.opened_at), "ends_at": iso(review.ends_at),
            "closed_at": iso(review.closed_at),
            "tracks": [{"id": g.track.id, "slug": g.track.slug, "title": g.track.title,
                        "sections": [section_to_dict(s, members[s.id], supported, user)
                                     for s in g.sections]} for g in groups]}


@bp.route(DRAFT)
@bp.response(200, envelope(DraftSchema))
def draft(event_id: int):
    """The published draft «Проект стратегии»: tracks, sections, their proposals and counts."""
    event = load_event(event_id)
    return ok(draft_to_dict(event, the_review(event)))


@bp.route(f"{DRAFT}/publish", methods=["POST"])
@bp.arguments(PublishArgs)
@bp.response(200, envelope(DraftSchema))
def draft_publish(data: dict, event_id: int):
    """Publish the draft (all sections or the agreed ones) and open the review phase; again,
    it refreshes the snapshot and keeps the comments of sections still there."""
    event = load_event(event_id)
    review = ops.publish_draft(event, signed_in(), scope=data["scope"], ends_at=data["ends_at"])
    return ok(draft_to_dict(event, review),
              message=_("Проект опубликован: %(n)d разд. Обсуждение открыто.",
                        n=len(review.visible_sections)))


@bp.route(f"{DRAFT}/close", methods=["POST"])
@bp.response(200, envelope(DraftSchema))
def draft_close(event_id: int):
    """Close the review phase now: supports and comments are frozen."""
    event = load_event(event_id)
    review = ops.close_review(event, signed_in())
    return ok(draft_to_dict(event, review),
              message=_("Обсуждение проекта закрыто: поддержка и комментарии заморожены."))


@bp.route(f"{SECTION}/support", methods=["POST"])
@bp.response(200, envelope(SectionSupportSchema))
def section_support(event_id: int, section_id: int):
    """Support a section of the published draft (once per person, while the review is open)."""
    section = ops.support_section(the_section(event_id, section_id), signed_in())
    return ok({"section_id": section.id, "supported": True,
               "support_count": section.support_count}, message=_("Вы поддержали раздел."))


@bp.route(f"{SECTION}/support", methods=["DELETE"])
@bp.response(200, envelope(SectionSupportSchema))
def section_withdraw(event_id: int, section_id: int):
    """Withdraw one's support of a section while the review is open."""
    section = ops.withdraw_section_support(the_section(event_id, section_id), signed_in())
    return ok({"section_id": section.id, "supported": False,
               "support_count": section.support_count},
              message=_("Поддержка раздела отозвана."))


@bp.route(f"{SECTION}/comments")
@bp.response(200, envelope(SectionCommentSchema, many=True))
def section_comments(event_id: int, section_id: int):
    """The section's comments this viewer may read, oldest first."""
    section = the_section(event_id, section_id)
    user = viewer()
    return ok([comment_to_dict(c, user) for c in section.comments_visible_to(user)])


@bp.route(f"{SECTION}/comments", methods=["POST"])
@bp.arguments(SectionCommentArgs)
@bp.response(201, envelope(SectionCommentSchema))
def section_comment(data: dict, event_id: int, section_id: int):
    """Comment on a section with a stance: for, against or addition."""
    user = signed_in()
    created = ops.comment_section(the_section(event_id, section_id), user, data["body"],
                                  data["stance"])
    return ok(comment_to_dict(created, user), message=ops.comment_message(created))


@bp.route(f"{COMMENT}/flag", methods=["POST"])
@bp.arguments(SectionFlagArgs)
@bp.response(200, envelope(SectionCommentSchema))
def flag_section_comment(data: dict, event_id: int, comment_id: int):
    """Complain about a section comment (жалоба); one per person. Enough complaints send it
    back to the facilitators' queue."""
    user = signed_in()
    comment = the_comment(event_id, comment_id)
    ops.flag_section_comment(user, comment, data["reason"])
    return ok(comment_to_dict(comment, user), message=_("Спасибо, жалоба передана модератору."))


def moderation_view(name: str):
    """The API's handler for one of the draft's comment actions (the pages' table)."""
    operation, inputs, message = ops.COMMENT_ACTIONS[name]

    def view(*args, event_id: int, comment_id: int):
        data = args[0] if args else {}
        actor = signed_in()
        done = operation(the_comment(event_id, comment_id), actor,
                         *(data[field] for field in inputs))
        return ok(comment_to_dict(done, actor), message=str(message))

    view.__name__ = "moderate_section_comment_" + name.replace("-", "_")
    view.__doc__ = operation.__doc__ or f"{name} a section comment."
    if inputs:
        view = bp.arguments(ReasonArgs)(view)
    view = bp.response(200, envelope(SectionCommentSchema))(view)
    return bp.route(f"{COMMENT}/{name}", methods=["POST"], endpoint=view.__name__,
                    tags=["moderation"])(view)


for _name in ops.COMMENT_ACTIONS:
    moderation_view(_name)
