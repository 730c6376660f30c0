"""The moderation actions as one table: what each acts on, what it needs from the person, which
operation it runs and what it says afterwards.

The site's buttons (moderation/routes.py) and the JSON API (api/moderation.py) are both built
from this table, so an action is described once: the five steps around it (load the event and
the object, check the right, validate the input, run the operation, answer) are written once
per front end instead of once per handler.
"""
from dataclasses import dataclass
from typing import Any, Callable, Optional

from flask_babel import gettext as _

from strategy.auth.models import User
from strategy.core.errors import OperationError
from strategy.core.loading import load_comment, load_participant, load_proposal
from strategy.core.permissions import ensure_can_moderate
from strategy.events.models import Event
from strategy.extensions import db
from strategy.moderation import operations as ops
from strategy.proposals.models import Proposal

PROPOSAL, COMMENT, USER = "proposal", "comment", "user"
REASON, TARGET = "reason", "target"


@dataclass(frozen=True)
class Action:
    target: str                   # what the URL names: PROPOSAL, COMMENT or USER
    name: str                     # the URL's last segment: …/<id>/<name>
    endpoint: str                 # the site's endpoint, moderation.<endpoint>
    perform: Callable[..., Any]   # perform(obj, actor, event, **inputs) -> what to show next
    done: Callable[[Any], str]    # the Russian message once it worked
    inputs: tuple[str, ...] = ()  # REASON (hide) or TARGET (merge)
    back_to_proposal: bool = False  # the site goes back to the proposal, not to the queue
    summary: str = ""             # for the OpenAPI document


LOADERS: dict[str, Callable[[Event, int], Any]] = {
    PROPOSAL: load_proposal, COMMENT: load_comment, USER: load_participant}


def load_target(action: Action, event: Event, object_id: int):
    return LOADERS[action.target](event, object_id)


def ensure_allowed(action: Action, actor: Optional[User], obj) -> None:
    """The right to act, checked before the input is read, so that someone without it learns
    nothing from validation messages (the operation checks it again)."""
    if action.target == USER:
        if actor is None or not actor.is_staff:
            raise OperationError(_("У вас нет прав на это действие."), 403)
        return
    ensure_can_moderate(actor, obj.track if action.target == PROPOSAL else obj.proposal.track)


def proposal_of(result) -> Optional[Proposal]:
    """The proposal whose page the site returns to after the action."""
    if isinstance(result, Proposal):
        return result
    return getattr(result, "proposal", None)


def merge(source: Proposal, actor: User, event: Event, target: int) -> Proposal:
    into = db.session.get(Proposal, target)
    if into is None:  # another event's proposal is the operation's to refuse
        raise OperationError(_("Предложения №%(n)d нет.", n=target), 404)
    ops.merge_proposals(source, into, actor)
    return into


def returning(operation: Callable[..., Any], *args: Any) -> Callable[..., Any]:
    """perform() for an operation called as operation(obj, actor, *args); answers with obj."""

    def perform(obj, actor, event, **inputs):
        operation(obj, actor, *args, *inputs.values())
        return obj

    return perform


def dismiss_comment_flags(comment, actor, event):
    ops.dismiss_flags(comment.proposal, actor, comment)
    return comment


def set_muted(muted: bool):
    def perform(user, actor, event):
        ops.set_muted(user, actor, event, muted)
        return user

    return perform


ACTIONS: tuple[Action, ...] = (
    Action(PROPOSAL, "approve", "approve_proposal", returning(ops.approve_proposal),
           lambda p: _("Предложение опубликовано."), summary="Publish a pending proposal"),
    Action(PROPOSAL, "hide", "hide_proposal", returning(ops.hide_proposal),
           lambda p: _("Предложение скрыто. Автор видит причину."), inputs=(REASON,),
           back_to_proposal=True, summary="Hide a proposal with a reason the author sees"),
    Action(PROPOSAL, "restore", "restore_proposal", returning(ops.restore_proposal),
           lambda p: _("Предложение восстановлено."), back_to_proposal=True,
           summary="Publish a hidden proposal again"),
    Action(PROPOSAL, "pin", "pin_proposal", returning(ops.set_pinned, True),
           lambda p: _("Предложение закреплено вверху списка."), back_to_proposal=True,
           summary="Pin a proposal on top of its track"),
    Action(PROPOSAL, "unpin", "unpin_proposal", returning(ops.set_pinned, False),
           lambda p: _("Предложение откреплено."), back_to_proposal=True,
           summary="Unpin a proposal"),
    Action(PROPOSAL, "merge", "merge_proposal", merge,
           lambda p: _("Предложения объединены: поддержки учтены по одному разу на человека, "
                       "комментарии перенесены."), inputs=(TARGET,), back_to_proposal=True,
           summary="Merge this proposal into another (answers with the other)"),
    Action(PROPOSAL, "dismiss-flags", "dismiss_flags", returning(ops.dismiss_flags),
           lambda p: _("Жалобы отклонены, предложение остаётся опубликованным."),
           summary="Dismiss the flags of a proposal"),
    Action(COMMENT, "approve", "approve_comment", returning(ops.approve_comment),
           lambda c: _("Комментарий опубликован."), summary="Publish a pending comment"),
    Action(COMMENT, "hide", "hide_comment", returning(ops.hide_comment),
           lambda c: _("Комментарий скрыт."), inputs=(REASON,), back_to_proposal=True,
           summary="Hide a comment with a reason the author sees"),
    Action(COMMENT, "restore", "restore_comment", returning(ops.restore_comment),
           lambda c: _("Комментарий восстановлен."), back_to_proposal=True,
           summary="Publish a hidden comment again"),
    Action(COMMENT, "dismiss-flags", "dismiss_comment_flags", dismiss_comment_flags,
           lambda c: _("Жалобы отклонены, комментарий остаётся опубликованным."),
           summary="Dismiss the flags of a comment"),
    Action(USER, "mute", "mute", set_muted(True),
           lambda u: _("%(name)s больше не может публиковать предложения и комментарии.",
                       name=u.display_name), summary="Stop a participant from posting"),
    Action(USER, "unmute", "unmute", set_muted(False),
           lambda u: _("%(name)s снова может публиковать.", name=u.display_name),
           summary="Let a muted participant post again"),
)
