"""Writes of the polls domain: create a poll, edit or delete it, open it, close it, answer it.

Answering is exact under concurrency: each person answers once (the unique constraint on
(poll, user) decides a double click or two phones at once), and an answer is taken only while
the poll is open: on PostgreSQL the answer reads the poll row FOR SHARE (answers do not wait for
each other) and closing updates it (waiting for answers in flight), so no answer lands after the
close; SQLite serialises writers with BEGIN IMMEDIATE (strategy/__init__.py). A change of mind
is refused: a person's first answer is the one that counts.
"""
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from strategy.auth.models import User
from strategy.core.audit import audit
from strategy.core.db import utcnow
from strategy.core.errors import OperationError, operation
from strategy.core.permissions import ensure_event_allows, ensure_member, ensure_staff_edits
from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.live.models import ChangeKind
from strategy.live.operations import record_change
from strategy.polls.models import (Poll, PollAnswer, PollChoice, PollKind, PollOption,
                                   PollState, can_run_poll)

QUESTION_MIN = 3
QUESTION_MAX = 300
OPTION_MAX = 120
OPTIONS_MIN = 2
OPTIONS_MAX = 10
WORD_MAX = 40
SCALE_LOWEST = 0
SCALE_HIGHEST = 10
SPACES = re.compile(r"\s+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def ensure_plain(text: str, field_name: str = "") -> None:
    """No NUL or other control characters (PostgreSQL refuses NUL; none belongs in a poll)."""
    if CONTROL.search(text or ""):
        raise PollFieldError(field_name, _("Текст содержит недопустимый символ."))


class PollFieldError(OperationError):
    """A refusal about one field of the creation form (the form shows it beside the field)."""

    def __init__(self, field_name: str, message: str, status: int = 400):
        super().__init__(message, status)
        self.field = field_name


@dataclass
class PollData:
    """What is typed about a new poll (form, API and seed alike)."""

    question: str
    kind: str = "single"
    track: str = ""  # a track slug of the event, or empty for the whole event
    options: list[str] = field(default_factory=list)
    scale_min: Any = 1
    scale_max: Any = 5


def normalise_word(text: Optional[str]) -> str:
    """A word-cloud answer as it is counted: trimmed, inner spaces folded, lower case."""
    return SPACES.sub(" ", (text or "").strip()).lower()


def scale_bound(value, field_name: str) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise PollFieldError(field_name, _("Границы шкалы — целые числа от %(lo)d до %(hi)d.",
                                           lo=SCALE_LOWEST, hi=SCALE_HIGHEST))
    if not SCALE_LOWEST <= number <= SCALE_HIGHEST:
        raise PollFieldError(field_name, _("Границы шкалы — целые числа от %(lo)d до %(hi)d.",
                                           lo=SCALE_LOWEST, hi=SCALE_HIGHEST))
    return number


def check_options(raw: list) -> list[str]:
    if not raw:
        raise PollFieldError("options", _("У опроса нет вариантов ответа: добавьте хотя бы "
                                          "два."))
    options, seen = [], set()
    for number, text in enumerate(raw, start=1):
        text = SPACES.sub(" ", str(text or "")).strip()
        ensure_plain(text, "options")
        if not text:
            raise PollFieldError("options", _("Вариант %(n)d пустой: впишите его или удалите "
                                              "пустую строку.", n=number))
        if len(text) > OPTION_MAX:
            raise PollFieldError("options", _("Вариант %(n)d длиннее %(max)d символов.",
                                              n=number, max=OPTION_MAX))
        if text.lower() in seen:
            raise PollFieldError("options", _("Вариант «%(text)s» повторяется.", text=text))
        seen.add(text.lower())
        options.append(text)
    if len(options) < OPTIONS_MIN:
        raise PollFieldError("options", _("Добавьте хотя бы два варианта ответа."))
    if len(options) > OPTIONS_MAX:
        raise PollFieldError("options", _("Не больше %(n)d вариантов ответа.", n=OPTIONS_MAX))
    return options


def named_track(event: Event, slug: str) -> Optional[Track]:
    slug = (slug or "").strip()
    if not slug:
        return None
    track = next((t for t in event.tracks if t.slug == slug), None)
    if track is None:
        raise PollFieldError("track", _("В мероприятии нет трека «%(slug)s».", slug=slug[:80]))
    return track


def ensure_can_run(actor: Optional[User], event: Event, track: Optional[Track]) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise OperationError(_("Войдите, чтобы продолжить."), 401)
    if can_run_poll(actor, event, track):
        ensure_staff_edits(event)
        return
    if not actor.acts_in(event):
        raise OperationError(_("Вы вошли в другое мероприятие: опросы этого мероприятия вам "
                               "не доступны."), 403)
    if track is not None:
        raise OperationError(_("Опрос трека «%(track)s» проводит только его модератор или "
                               "методическая группа: у вас нет прав.", track=track.title), 403)
    raise OperationError(_("Опрос для всего мероприятия проводит только методическая группа: "
                           "у вас нет прав."), 403)


@dataclass
class PollFields:
    """A poll's checked question, kind, track, options and scale (create and edit alike)."""

    track: Optional[Track]
    question: str
    kind: PollKind
    options: list[str] = field(default_factory=list)
    scale_min: Optional[int] = None
    scale_max: Optional[int] = None


def checked_fields(event: Event, actor: Optional[User], data: PollData) -> PollFields:
    """Everything typed about a poll, checked before anything is written; the actor must be
    allowed to run a poll of the chosen track (or of the whole event)."""
    track = named_track(event, data.track)
    ensure_can_run(actor, event, track)
    question = SPACES.sub(" ", data.question or "").strip()
    ensure_plain(question, "question")
    if len(question) < QUESTION_MIN:
        raise PollFieldError("question", _("Напишите вопрос (не короче %(n)d символов).",
                                           n=QUESTION_MIN))
    if len(question) > QUESTION_MAX:
        raise PollFieldError("question", _("Вопрос длиннее %(n)d символов.", n=QUESTION_MAX))
    try:
        kind = PollKind(data.kind)
    except ValueError:
        raise PollFieldError("kind", _("Выберите вид опроса: один вариант, несколько вариантов, "
                                       "шкала или облако слов."))
    fields = PollFields(track=track, question=question, kind=kind)
    if kind.has_options:
        fields.options = check_options(list(data.options or []))
    elif kind is PollKind.scale:
        low = scale_bound(data.scale_min, "scale_min")
        high = scale_bound(data.scale_max, "scale_max")
        if high - low < 1:
            raise PollFieldError("scale_max", _("Верх шкалы должен быть больше низа."))
        fields.scale_min, fields.scale_max = low, high
    elif any(str(o or "").strip() for o in data.options or []):
        raise PollFieldError("options", _("У облака слов нет вариантов: участники пишут свои "
                                          "слова."))
    return fields


def poll_state(poll: Poll) -> dict[str, Any]:
    """What the audit log keeps of a poll."""
    return {"question": poll.question, "kind": poll.kind.value, "state": poll.state.value,
            "track_id": poll.track_id, "options": [o.text for o in poll.options],
            "scale_min": poll.scale_min, "scale_max": poll.scale_max}


def apply_fields(poll: Poll, fields: PollFields) -> None:
    poll.track_id = fields.track.id if fields.track else None
    poll.track = fields.track
    poll.question, poll.kind = fields.question, fields.kind
    poll.scale_min, poll.scale_max = fields.scale_min, fields.scale_max
    poll.options = [PollOption(position=n, text=t) for n, t in enumerate(fields.options)]


@operation
def create_poll(event: Event, actor: User, data: PollData) -> Poll:
    """A draft poll; nothing is shown to the hall until it is opened."""
    fields = checked_fields(event, actor, data)
    poll = Poll(event_id=event.id, state=PollState.draft, created_by_id=actor.id)
    apply_fields(poll, fields)
    db.session.add(poll)
    db.session.flush()
    audit(actor, "poll_create", event_id=event.id, track_id=poll.track_id, target_type="poll",
          target_id=poll.id, after={"question": poll.question, "kind": poll.kind.value})
    db.session.commit()
    return poll


def ensure_editable(poll: Poll, actor: Optional[User]) -> None:
    """Who runs the poll, while it is a draft (the edit page checks it before showing)."""
    ensure_can_run(actor, poll.event, poll.track)
    if poll.state is not PollState.draft:
        raise OperationError(_("Изменить можно только черновик: этот опрос уже открывали, "
                               "его вопрос и варианты остаются такими, как на них отвечали."),
                             409)


def ensure_deletable(poll: Poll, actor: Optional[User]) -> None:
    """Who runs the poll, once it is not running (a draft or a finished poll)."""
    ensure_can_run(actor, poll.event, poll.track)
    if poll.state is PollState.open:
        raise OperationError(_("Опрос идёт: сначала завершите его, потом удаляйте."), 409)


@operation
def edit_poll(poll: Poll, actor: User, data: PollData) -> Poll:
    """Change a draft's question, kind, track, options or scale; an opened poll stays as the
    hall answered it."""
    ensure_editable(poll, actor)
    fields = checked_fields(poll.event, actor, data)
    lock_poll(poll)
    if poll.state is not PollState.draft:
        raise OperationError(_("Опрос только что открыли: изменить можно только черновик."),
                             409)
    before = poll_state(poll)
    apply_fields(poll, fields)
    db.session.flush()
    after = poll_state(poll)
    if after == before:
        raise OperationError(_("Изменений нет."), 400)
    audit(actor, "poll_edit", event_id=poll.event_id, track_id=poll.track_id,
          target_type="poll", target_id=poll.id, before=before, after=after)
    record_change(poll.event_id, ChangeKind.poll, track_id=poll.track_id, poll_id=poll.id,
                  state="draft")
    db.session.commit()
    return poll


def answer_count(poll: Poll) -> int:
    return db.session.scalar(sa.select(sa.func.count(PollAnswer.id)).where(
        PollAnswer.poll_id == poll.id)) or 0


@operation
def delete_poll(poll: Poll, actor: User, *, confirmed: bool = False) -> None:
    """Delete a draft or a finished poll, with its answers; a running poll is closed first,
    and one with answers only once the person confirmed it (the audit log keeps the count)."""
    ensure_deletable(poll, actor)
    lock_poll(poll)
    ensure_deletable(poll, actor)
    answers = answer_count(poll)
    if answers and not confirmed:
        raise OperationError(_("Ответов на опрос: %(n)d — подтвердите удаление: ответы "
                               "удалятся вместе с опросом.", n=answers), 409)
    before = {**poll_state(poll), "answers": answers}
    event_id, track_id, poll_id = poll.event_id, poll.track_id, poll.id
    # Answers and choices first, by statement: the count above is what goes away.
    db.session.execute(sa.delete(PollChoice).where(PollChoice.poll_id == poll_id))
    db.session.execute(sa.delete(PollAnswer).where(PollAnswer.poll_id == poll_id))
    db.session.delete(poll)
    db.session.flush()
    audit(actor, "poll_delete", event_id=event_id, track_id=track_id, target_type="poll",
          target_id=poll_id, before=before, after=None)
    record_change(event_id, ChangeKind.poll, track_id=track_id, poll_id=poll_id,
                  state="deleted")
    db.session.commit()


def lock_poll(poll: Poll) -> None:
    """Re-read the poll; on PostgreSQL under an exclusive row lock (open and close)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(poll, with_for_update=True)
    else:
        db.session.refresh(poll)


@operation
def open_poll(poll: Poll, actor: User) -> Poll:
    ensure_can_run(actor, poll.event, poll.track)
    lock_poll(poll)
    if poll.state is PollState.open:
        raise OperationError(_("Опрос уже идёт."), 409)
    if poll.state is PollState.closed:
        raise OperationError(_("Опрос завершён: открыть его снова нельзя, его итоги "
                               "сохранены."), 409)
    poll.state, poll.opened_at = PollState.open, utcnow()
    audit(actor, "poll_open", event_id=poll.event_id, track_id=poll.track_id,
          target_type="poll", target_id=poll.id, before={"state": "draft"},
          after={"state": "open"})
    record_change(poll.event_id, ChangeKind.poll, track_id=poll.track_id, poll_id=poll.id,
                  state="open")
    db.session.commit()
    return poll


@operation
def close_poll(poll: Poll, actor: User) -> Poll:
    """Freeze the results: no answer is taken after this commits."""
    ensure_can_run(actor, poll.event, poll.track)
    lock_poll(poll)
    if poll.state is PollState.draft:
        raise OperationError(_("Опрос ещё не открыт: закрывать нечего."), 409)
    if poll.state is PollState.closed:
        raise OperationError(_("Опрос уже завершён."), 409)
    poll.state, poll.closed_at = PollState.closed, utcnow()
    audit(actor, "poll_close", event_id=poll.event_id, track_id=poll.track_id,
          target_type="poll", target_id=poll.id, before={"state": "open"},
          after={"state": "closed"})
    record_change(poll.event_id, ChangeKind.poll, track_id=poll.track_id, poll_id=poll.id,
                  state="closed")
    db.session.commit()
    return poll


def has_answered(poll: Poll, user: Optional[User]) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(sa.select(PollAnswer.id).where(
        PollAnswer.poll_id == poll.id, PollAnswer.user_id == user.id)) is not None


def ensure_state_takes_answers(poll: Poll) -> None:
    if poll.state is PollState.draft:
        raise OperationError(_("Опрос ещё не открыт: отвечать пока нельзя."), 409)
    if poll.state is PollState.closed:
        raise OperationError(_("Опрос завершён: ответы больше не принимаются."), 409)


def checked_choices(poll: Poll, option_ids) -> list[int]:
    ids = []
    for value in option_ids or []:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise OperationError(_("Такого варианта нет в этом опросе."), 400)
        if number not in ids:
            ids.append(number)
    if not ids:
        raise OperationError(_("Выберите вариант ответа."), 400)
    known = {o.id for o in poll.options}
    if any(i not in known for i in ids):
        raise OperationError(_("Такого варианта нет в этом опросе."), 400)
    if poll.kind is PollKind.single and len(ids) > 1:
        raise OperationError(_("В этом опросе можно выбрать только один вариант."), 400)
    return ids


def checked_value(poll: Poll, value) -> int:
    message = _("Оценка — целое число от %(lo)d до %(hi)d.", lo=poll.scale_min, hi=poll.scale_max)
    if isinstance(value, bool) or value is None:
        raise OperationError(message, 400)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise OperationError(message, 400)
    if not poll.scale_min <= number <= poll.scale_max:
        raise OperationError(message, 400)
    return number


def checked_word(text) -> str:
    word = normalise_word(text if isinstance(text, str) else None)
    ensure_plain(word)
    if not word:
        raise OperationError(_("Напишите слово или короткую фразу."), 400)
    if len(word) > WORD_MAX:
        raise OperationError(_("Ответ длиннее %(max)d символов (сейчас %(n)d): сократите его.",
                               max=WORD_MAX, n=len(word)), 400)
    return word


def already_answered() -> OperationError:
    return OperationError(_("Вы уже ответили на этот опрос; ответ не меняется, он учтён "
                            "один раз."), 409)


@operation
def answer_poll(poll: Poll, user: User, *, options=None, value=None, word=None) -> PollAnswer:
    """One answer per person while the poll is open; everything is checked before writing."""
    ensure_member(user, poll.event)
    ensure_event_allows(poll.event, "answer")
    ensure_state_takes_answers(poll)
    answer = PollAnswer(poll_id=poll.id, user_id=user.id)
    choices: list[int] = []
    if poll.kind.has_options:
        choices = checked_choices(poll, options)
    elif poll.kind is PollKind.scale:
        answer.value = checked_value(poll, value)
    else:
        answer.word = checked_word(word)
    if db.session.get_bind().dialect.name == "postgresql":
        # Answers share the lock; a close (FOR UPDATE) waits for them and they for it.
        state = db.session.scalar(sa.select(Poll.state).where(Poll.id == poll.id)
                                  .with_for_update(read=True))
    else:
        state = db.session.scalar(sa.select(Poll.state).where(Poll.id == poll.id))
    if state is not PollState.open:
        db.session.refresh(poll)
        ensure_state_takes_answers(poll)
    if has_answered(poll, user):
        raise already_answered()
    db.session.add(answer)
    try:
        db.session.flush()
    except IntegrityError:  # the same person twice at once: the unique constraint decides
        db.session.rollback()
        raise already_answered()
    for option_id in choices:
        db.session.add(PollChoice(answer_id=answer.id, option_id=option_id, poll_id=poll.id))
    record_change(poll.event_id, ChangeKind.poll, track_id=poll.track_id, poll_id=poll.id,
                  state="answer")
    db.session.commit()
    return answer
