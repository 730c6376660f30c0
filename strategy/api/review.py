"""Expert assessments and official answers in /api/v1 (the review domain's operations).

URL rules (under /api/v1/events/<id>/proposals/<pid>):
  GET  /answer        answer          who may see the proposal (data is null without an answer)
  PUT  /answer        give_answer     the track's facilitator, the methodical group
  GET  /assessments   assessments     the methodical group (all); an expert of the track (own,
                                      and the others' once the own is given)
  PUT  /assessment    assess          an expert of the track, once (a second one is a 409)
  PATCH /assessment   revise_assessment  the expert corrects their own assessment
and GET /api/v1/events/<id>/review   review_summary   the methodical group: every assessed
  proposal with its count, mean and spread (?sort=mean|count|spread|track, ?track=, ?answer=)
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from strategy.api import ID, bp
from strategy.api.auth import signed_in, viewer
from strategy.api.schemas import (Bool, Dict, InputSchema, Int, Integer, OutputSchema, Str,
                                  String, envelope, length, one_of, when)
from strategy.core.errors import OperationError
from strategy.core.loading import load_event, load_proposal, load_track
from strategy.review import operations as ops
from strategy.review.models import (ANSWER_FILTERS, ANSWER_MAX, RECOMMENDATION_MAX, AnswerState,
                                    is_expert_for)
from strategy.review.queries import (SUMMARY_SORTS, answer_of, figures_of, own_assessment,
                                     rounded, summary_rows, visible_assessments)

PROPOSAL = f"/events/<{ID}:event_id>/proposals/<{ID}:proposal_id>"
STATES = [s.value for s in AnswerState]


def iso(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# --- schemas --------------------------------------------------------------------------------

class AnswerArgs(InputSchema):
    state = String(required=True, validate=one_of(STATES),
                   metadata={"description": "accepted, partial, revision or rejected"})
    body = String(required=True, validate=length(1, ANSWER_MAX))


class AssessmentArgs(InputSchema):
    scores = Dict(keys=String(validate=length(1, 40)),
                  values=Integer(strict=True, allow_none=True, error_messages={
                      "invalid": _l("Оценка — целое число от 1 до 5.")}),
                  required=True,
                  error_messages={"required": _l("Обязательное поле."),
                                  "invalid": _l("Нужен объект: критерий → оценка.")},
                  metadata={"description": "criterion key → score 1..5 (every criterion of "
                                           "the event)"})
    recommendation = String(validate=length(0, RECOMMENDATION_MAX), load_default="")


class AnswerSchema(OutputSchema):
    proposal_id = Int(required=True)
    state = Str(required=True, validate=validate.OneOf(STATES))
    state_label = Str(required=True)
    body = Str(required=True)
    updated_at = when(required=True)


class AnswerHolderSchema(OutputSchema):
    answer = fields.Nested(AnswerSchema, allow_none=True, required=True)


class CriterionSchema(OutputSchema):
    key = Str(required=True)
    title = Str(required=True)


class AssessmentSchema(OutputSchema):
    id = Int(required=True)
    expert = Str(allow_none=True, required=True)
    own = Bool(required=True)
    scores = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    mean = fields.Float(allow_none=True, required=True)
    recommendation = Str(required=True)
    updated_at = when(required=True)


class AssessmentsSchema(OutputSchema):
    criteria = fields.List(fields.Nested(CriterionSchema), required=True)
    own = fields.Nested(AssessmentSchema, allow_none=True, required=True)
    others_visible = Bool(required=True, metadata={
        "description": "false for an expert who has not given their own assessment yet"})
    assessments = fields.List(fields.Nested(AssessmentSchema), required=True)
    count = Int(required=True)
    mean = fields.Float(allow_none=True, required=True)
    low = fields.Float(allow_none=True, required=True)
    high = fields.Float(allow_none=True, required=True)
    std = fields.Float(allow_none=True, required=True)


class SummaryArgs(InputSchema):
    sort = String(load_default="mean", validate=one_of(list(SUMMARY_SORTS)))
    track = String(load_default="", validate=length(0, 80),
                   metadata={"description": "A track's slug; empty: every track"})
    answer = String(load_default="", validate=one_of(["", *ANSWER_FILTERS]),
                    metadata={"description": "An answer's state, or none (not answered)"})


class SummaryRowSchema(OutputSchema):
    proposal_id = Int(required=True)
    title = Str(required=True)
    track = Str(required=True, metadata={"description": "The track's slug"})
    kind = Str(required=True)
    count = Int(required=True, metadata={"description": "Assessments given"})
    mean = fields.Float(allow_none=True, required=True)
    low = fields.Float(allow_none=True, required=True)
    high = fields.Float(allow_none=True, required=True)
    spread = fields.Float(allow_none=True, required=True, metadata={
        "description": "high − low of the experts' means"})
    std = fields.Float(allow_none=True, required=True)
    per_criterion = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    answer = Str(allow_none=True, required=True, metadata={
        "description": "The official answer's state (null: none yet)"})


# --- serializers ----------------------------------------------------------------------------

def answer_to_dict(answer) -> dict:
    return {"answer": None if answer is None else {
        "proposal_id": answer.proposal_id, "state": answer.state.value,
        "state_label": answer.state.label, "body": answer.body,
        "updated_at": iso(answer.updated_at)}}


def assessment_to_dict(assessment, user, keys) -> dict:
    return {"id": assessment.id,
            "expert": assessment.expert.display_name if assessment.expert else None,
            "own": bool(user and assessment.expert_id == user.id),
            "scores": dict(assessment.scores), "mean": assessment.mean(keys),
            "recommendation": assessment.recommendation,
            "updated_at": iso(assessment.updated_at)}


def assessments_to_dict(proposal, user) -> dict:
    criteria = ops.criteria_of(proposal.event)
    keys = [c["key"] for c in criteria]
    own, shown = visible_assessments(proposal, user)
    others_visible = user.can_manage(proposal.event) or own is not None
    figures = figures_of(shown, keys) if others_visible else figures_of([], keys)
    return {"criteria": criteria,
            "own": assessment_to_dict(own, user, keys) if own else None,
            "others_visible": others_visible,
            "assessments": [assessment_to_dict(a, user, keys) for a in shown],
            "count": figures.count, "mean": figures.mean, "low": figures.low,
            "high": figures.high, "std": figures.std}


def visible(event_id: int, proposal_id: int):
    proposal = load_proposal(load_event(event_id), proposal_id)
    if not proposal.can_view(viewer()):
        raise OperationError(_("Предложение не найдено."), 404)
    return proposal


# --- views ----------------------------------------------------------------------------------

@bp.route(f"{PROPOSAL}/answer", tags=["review"])
@bp.response(200, envelope(AnswerHolderSchema))
def answer(event_id: int, proposal_id: int):
    """The proposal's official answer (null while there is none)."""
    return {"success": True, "data": answer_to_dict(answer_of(visible(event_id, proposal_id))),
            "meta": {}}


@bp.route(f"{PROPOSAL}/answer", methods=["PUT"], tags=["review"])
@bp.arguments(AnswerArgs)
@bp.response(200, envelope(AnswerHolderSchema))
def give_answer(data: dict, event_id: int, proposal_id: int):
    """Give or replace the official answer (the track's facilitator, the methodical group)."""
    actor = signed_in()
    proposal = visible(event_id, proposal_id)
    given = ops.give_answer(proposal, actor, data["state"], data["body"])
    return {"success": True, "data": answer_to_dict(given),
            "meta": {"message": _("Официальный ответ сохранён.")}}


@bp.route(f"/events/<{ID}:event_id>/review", tags=["review"])
@bp.arguments(SummaryArgs, location="query", as_kwargs=True)
@bp.response(200, envelope(SummaryRowSchema, many=True))
def review_summary(event_id: int, sort: str, track: str, answer: str):
    """The methodical group's table of «Экспертиза»: figures per assessed proposal, sorted."""
    user = signed_in()
    event = load_event(event_id)
    if not user.can_manage(event):
        raise OperationError(_("Сводку экспертизы видит только методическая группа."), 403)
    chosen = load_track(event, track) if track else None
    rows = summary_rows(event, sort, chosen, answer)
    return {"success": True, "meta": {}, "data": [
        {"proposal_id": p.id, "title": p.title, "track": p.track.slug, "kind": p.kind.value,
         "count": fig.count, "mean": rounded(fig.mean), "low": rounded(fig.low),
         "high": rounded(fig.high), "spread": rounded(fig.spread), "std": rounded(fig.std),
         "per_criterion": {k: rounded(v) for k, v in fig.per_criterion.items()},
         "answer": a.state.value if a else None} for p, fig, a in rows]}


@bp.route(f"{PROPOSAL}/assessments", tags=["review"])
@bp.response(200, envelope(AssessmentsSchema))
def assessments(event_id: int, proposal_id: int):
    """Assessments this caller may see, with their count, mean and spread."""
    user = signed_in()
    proposal = visible(event_id, proposal_id)
    if not (user.can_manage(proposal.event) or is_expert_for(user, proposal.track)):
        raise OperationError(_("Оценки видят эксперты трека и методическая группа."), 403)
    return {"success": True, "data": assessments_to_dict(proposal, user), "meta": {}}


@bp.route(f"{PROPOSAL}/assessment", methods=["PUT"], tags=["review"])
@bp.arguments(AssessmentArgs)
@bp.response(200, envelope(AssessmentsSchema))
def assess(data: dict, event_id: int, proposal_id: int):
    """Give the caller's assessment (an expert of the track), once: a second one is refused
    with 409 and changes nothing; PATCH corrects it."""
    user = signed_in()
    proposal = visible(event_id, proposal_id)
    ops.save_assessment(proposal, user, data["scores"], data.get("recommendation") or "")
    return {"success": True, "data": assessments_to_dict(proposal, user),
            "meta": {"message": _("Оценка сохранена.")}}


@bp.route(f"{PROPOSAL}/assessment", methods=["PATCH"], tags=["review"])
@bp.arguments(AssessmentArgs)
@bp.response(200, envelope(AssessmentsSchema))
def revise_assessment(data: dict, event_id: int, proposal_id: int):
    """Correct the caller's own assessment (every criterion again, and the recommendation)."""
    user = signed_in()
    proposal = visible(event_id, proposal_id)
    if is_expert_for(user, proposal.track) and own_assessment(proposal, user) is None:
        raise OperationError(_("Вы ещё не оценили это предложение: исправлять нечего."), 404)
    ops.save_assessment(proposal, user, data["scores"], data.get("recommendation") or "",
                        revise=True)
    return {"success": True, "data": assessments_to_dict(proposal, user),
            "meta": {"message": _("Оценка исправлена.")}}



