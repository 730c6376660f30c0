"""Every write of the review domain: an expert's assessment, the official answer, the criteria."""
from typing import Any, Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from strategy.auth.models import User
from strategy.core.audit import audit
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_can_manage, ensure_member, ensure_staff_edits
from strategy.events.models import Event
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.notifications.operations import notify_answer
from strategy.review.models import (
    ANSWER_MAX, ASSESSED_KINDS, CRITERIA_MAX, CRITERION_MAX, RECOMMENDATION_MAX, SCORE_MAX,
    SCORE_MIN, AnswerState, Assessment, OfficialAnswer, ReviewCriteria, default_criteria,
    is_expert_for)


class FieldError(OperationError):
    """A refusal about one field of the form (the form shows it beside that field)."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message, status)
        self.field = field


def criteria_of(event: Event) -> list[dict[str, Any]]:
    """The event's criteria; the defaults until the event stores its own."""
    row = db.session.get(ReviewCriteria, event.id)
    return list(row.criteria) if row is not None and row.criteria else default_criteria()


def store_criteria(event: Event, criteria: list[dict[str, Any]]) -> None:
    row = db.session.get(ReviewCriteria, event.id)
    if row is None:
        db.session.add(ReviewCriteria(event_id=event.id, criteria=criteria))
    else:
        row.criteria = criteria


def clean_scores(criteria: list[dict[str, Any]], scores: dict[str, Any]) -> dict[str, int]:
    """An integer 1..5 for every criterion, or a refusal naming the criterion."""
    cleaned = {}
    for criterion in criteria:
        key, value = criterion["key"], (scores or {}).get(criterion["key"])
        if value is None or (isinstance(value, str) and not value.strip()):
            raise FieldError(f"score_{key}", _("Поставьте оценку по критерию «%(title)s».",
                                               title=criterion["title"]))
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or not SCORE_MIN <= number <= SCORE_MAX:
            raise FieldError(f"score_{key}", _(
                "Оценка по критерию «%(title)s» — целое число от %(min)d до %(max)d.",
                title=criterion["title"], min=SCORE_MIN, max=SCORE_MAX))
        cleaned[key] = number
    return cleaned


@operation
def save_assessment(proposal: Proposal, expert: User, scores: dict[str, Any],
                    recommendation: str = "", revise: bool = False) -> Assessment:
    """An expert's assessment, once per proposal. A second one is refused (a stale tab, a
    double submit) unless ``revise`` says the expert corrects their own earlier one."""
    ensure_member(expert, proposal.event)
    ensure_staff_edits(proposal.event)
    if not is_expert_for(expert, proposal.track):
        raise OperationError(_("Оценивать предложения трека «%(track)s» могут только его "
                               "эксперты.", track=proposal.track.title), 403)
    if proposal.status is not ProposalStatus.published:
        raise OperationError(_("Оценить можно только опубликованное предложение."), 409)
    if proposal.kind not in ASSESSED_KINDS:
        raise OperationError(_("Эксперты оценивают проекты и идеи; практики не оцениваются."),
                             409)
    criteria = criteria_of(proposal.event)
    cleaned = clean_scores(criteria, scores)
    recommendation = (recommendation or "").strip()
    if len(recommendation) > RECOMMENDATION_MAX:
        raise FieldError("recommendation", _("Рекомендация — не длиннее %(n)d символов.",
                                             n=RECOMMENDATION_MAX))
    assessment = db.session.scalar(sa.select(Assessment).where(
        Assessment.proposal_id == proposal.id, Assessment.expert_id == expert.id))
    if assessment is not None and not revise:
        raise OperationError(_("Вы уже оценили это предложение. Чтобы изменить оценку, "
                               "исправьте её на странице оценки."), 409)
    created = assessment is None
    if created:
        assessment = Assessment(event_id=proposal.event_id, proposal_id=proposal.id,
                                expert_id=expert.id)
        db.session.add(assessment)
    assessment.scores = cleaned
    assessment.recommendation = recommendation
    if db.session.get(ReviewCriteria, proposal.event_id) is None:
        store_criteria(proposal.event, criteria)  # the criteria scored are kept with the event
    try:
        db.session.flush()
    except IntegrityError:  # the same expert saved twice at once: the other one counts
        db.session.rollback()
        raise OperationError(_("Оценка уже сохранена в другой вкладке. Обновите страницу."),
                             409) from None
    record_change(proposal.event_id, ChangeKind.assessment, track_id=proposal.track_id,
                  proposal_id=proposal.id, created=created)
    db.session.commit()
    return assessment


def answer_state(value) -> AnswerState:
    try:
        return value if isinstance(value, AnswerState) else AnswerState(value)
    except ValueError:
        raise FieldError("state", _("Выберите состояние ответа: принято в стратегию, принято "
                                    "частично, на доработке или не принято.")) from None


@operation
def give_answer(proposal: Proposal, actor: User, state, body: str) -> OfficialAnswer:
    """The official answer to a proposal; given again, it replaces the earlier answer."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise OperationError(_("Войдите, чтобы продолжить."), 401)
    if not OfficialAnswer.can_give(actor, proposal):
        raise OperationError(_("Официальный ответ дают модератор трека «%(track)s» и "
                               "методическая группа.", track=proposal.track.title), 403)
    ensure_staff_edits(proposal.event)
    if proposal.status is ProposalStatus.merged:
        raise OperationError(_("Предложение объединено с другим: ответьте на то, с которым "
                               "его объединили."), 409)
    if proposal.status is not ProposalStatus.published:
        raise OperationError(_("Ответить можно только на опубликованное предложение."), 409)
    state = answer_state(state)
    body = (body or "").strip()
    if not body:
        raise FieldError("body", _("Напишите текст ответа: автор должен понять решение."))
    if len(body) > ANSWER_MAX:
        raise FieldError("body", _("Текст ответа — не длиннее %(n)d символов.", n=ANSWER_MAX))
    answer = db.session.scalar(sa.select(OfficialAnswer).where(
        OfficialAnswer.proposal_id == proposal.id))
    before = {"state": answer.state.value, "body": answer.body} if answer else None
    if answer is None:
        answer = OfficialAnswer(event_id=proposal.event_id, proposal_id=proposal.id)
        db.session.add(answer)
    answer.state, answer.body, answer.author_id = state, body, actor.id
    try:
        db.session.flush()
    except IntegrityError:  # two answers at once: the first one stands
        db.session.rollback()
        raise OperationError(_("Ответ только что дал коллега. Обновите страницу."), 409) from None
    audit(actor, "answer", event_id=proposal.event_id, track_id=proposal.track_id,
          target_type="proposal", target_id=proposal.id, before=before,
          after={"state": state.value, "body": body})
    record_change(proposal.event_id, ChangeKind.answer, track_id=proposal.track_id,
                  proposal_id=proposal.id, state=state.value)
    notify_answer(proposal, actor)  # in the same transaction as the answer
    db.session.commit()
    return answer


@operation
def set_criteria(event: Event, actor: User, items: list[tuple[Optional[str], str]]) -> list:
    """The methodical group names the criteria: (key of an existing one or None, title) pairs;
    a criterion left out is dropped (its scores stay stored but no longer count)."""
    ensure_can_manage(actor, event)
    ensure_staff_edits(event)
    current = {c["key"]: c for c in criteria_of(event)}
    criteria, used = [], set(current)
    for key, title in items:
        title = " ".join((title or "").split())
        if not title:
            continue
        if len(title) > CRITERION_MAX:
            raise FieldError("criteria", _("Название критерия — не длиннее %(n)d символов.",
                                           n=CRITERION_MAX))
        if key not in current:
            number = 1
            while f"c{number}" in used:
                number += 1
            key = f"c{number}"
            used.add(key)
        criteria.append({"key": key, "title": title})
    if not criteria:
        raise FieldError("criteria", _("Нужен хотя бы один критерий."))
    if len(criteria) > CRITERIA_MAX:
        raise FieldError("criteria", _("Не больше %(n)d критериев.", n=CRITERIA_MAX))
    if len({c["title"].casefold() for c in criteria}) != len(criteria):
        raise FieldError("criteria", _("Критерии не должны повторяться."))
    before = list(current.values())
    store_criteria(event, criteria)
    audit(actor, "review_criteria", event_id=event.id, track_id=None, target_type="event",
          target_id=event.id, before={"criteria": before}, after={"criteria": criteria})
    record_change(event.id, ChangeKind.event, criteria=len(criteria))
    db.session.commit()
    return criteria
