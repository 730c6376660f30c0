"""Read helpers for the moderation queue, duplicate suggestions and the audit log."""
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from strategy.auth.models import User
from strategy.comments.models import Comment, CommentStatus
from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.moderation.models import AuditEntry, Flag
from strategy.proposals.models import Proposal, ProposalStatus, analysis_text

ACTION_LABELS = {
    "approve": _l("Одобрено"),
    "hide": _l("Скрыто"),
    "restore": _l("Восстановлено"),
    "edit": _l("Исправлено"),
    "pin": _l("Закреплено"),
    "unpin": _l("Откреплено"),
    "merge": _l("Объединено"),
    "mute": _l("Участник ограничен"),
    "unmute": _l("Ограничение снято"),
    "comment_approve": _l("Комментарий одобрен"),
    "comment_hide": _l("Комментарий скрыт"),
    "comment_restore": _l("Комментарий восстановлен"),
    "auto_queue": _l("Возвращено в очередь по жалобам"),
    "flags_dismiss": _l("Жалобы отклонены"),
    "submission_open": _l("Приём предложений открыт"),
    "submission_close": _l("Приём предложений закрыт"),
    "support_open": _l("Поддержка открыта"),
    "support_close": _l("Поддержка закрыта"),
    "support_rules": _l("Правила поддержки изменены"),
    "event_settings": _l("Настройки мероприятия изменены"),
    "poll_create": _l("Опрос создан"),
    "poll_edit": _l("Черновик опроса изменён"),
    "poll_open": _l("Опрос открыт"),
    "poll_close": _l("Опрос завершён"),
    "poll_delete": _l("Опрос удалён"),
    "section_comment_approve": _l("Комментарий к проекту одобрен"),
    "section_comment_hide": _l("Комментарий к проекту скрыт"),
    "section_comment_restore": _l("Комментарий к проекту восстановлен"),
    "section_comment_flags_dismiss": _l("Жалобы на комментарий к проекту отклонены"),
    # setting the event up: events, tracks, the programme and the team
    "event_create": _l("Мероприятие создано"),
    "event_update": _l("Мероприятие изменено"),
    "event_open": _l("Мероприятие открыто"),
    "event_finish": _l("Мероприятие завершено"),
    "event_archive": _l("Мероприятие перенесено в архив"),
    "track_create": _l("Трек добавлен"),
    "track_update": _l("Трек изменён"),
    "track_move": _l("Порядок треков изменён"),
    "track_archive": _l("Трек перенесён в архив"),
    "track_restore": _l("Трек возвращён из архива"),
    "programme_create": _l("Сессия добавлена в программу"),
    "programme_update": _l("Сессия программы изменена"),
    "programme_delete": _l("Сессия удалена из программы"),
    "programme_attendance": _l("Отмечены присутствующие"),
    "programme_outcome": _l("Итоги сессии записаны"),
    "staff_invite": _l("Приглашение в команду создано"),
    "staff_invite_revoke": _l("Приглашение в команду отозвано"),
    "staff_accept": _l("Приглашение в команду принято"),
    "staff_role": _l("Роль в команде изменена"),
    "staff_revoke": _l("Доступ к команде отозван"),
}
TARGET_LABELS = {"proposal": _l("предложение"), "comment": _l("комментарий"),
                 "user": _l("участник"), "track": _l("трек"), "event": _l("мероприятие"),
                 "poll": _l("опрос"), "section_comment": _l("комментарий к проекту"),
                 "schedule_item": _l("сессия программы"),
                 "staff_invitation": _l("приглашение в команду")}
# Field names and values of the before/after column: the setup screens' fields in Russian.
FIELD_LABELS = {
    "title": _l("название"), "code": _l("код"), "timezone": _l("часовой пояс"),
    "starts_on": _l("первый день"), "ends_on": _l("последний день"), "place": _l("место"),
    "description": _l("описание"), "moderation_mode": _l("модерация"), "status": _l("состояние"),
    "slug": _l("адрес"), "position": _l("порядок"), "archived": _l("в архиве"),
    "starts_at": _l("начало"), "ends_at": _l("окончание"), "format": _l("формат"),
    "online_url": _l("ссылка на трансляцию"), "track_id": _l("трек"), "speakers": _l("спикеры"),
    "registration_required": _l("нужна регистрация"), "capacity_hall": _l("мест в зале"),
    "capacity_online": _l("мест онлайн"), "waitlist": _l("лист ожидания"),
    "present": _l("присутствовали"), "attended_hall": _l("участвовало в зале"),
    "attended_online": _l("участвовало онлайн"), "outcome": _l("итоги"),
    "proposals": _l("предложения"), "role": _l("роль"), "email": _l("почта"),
    "tracks": _l("треки"), "display_name": _l("имя"),
}
VALUE_LABELS = {
    "format": {"hall": _l("в зале"), "online": _l("онлайн"), "hybrid": _l("гибридно")},
    "status": {"draft": _l("черновик"), "open": _l("открыто"), "finished": _l("завершено"),
               "archived": _l("в архиве")},
    "moderation_mode": {"post": _l("постмодерация"), "pre": _l("предмодерация")},
    "role": {"participant": _l("участник"), "facilitator": _l("модератор трека"),
             "expert": _l("эксперт"), "organiser": _l("методическая группа")},
}
NEW_LIMIT = 10
SIMILAR_LIMIT = 3
SIMILAR_MIN = 0.3
AUDIT_PER_PAGE = 50


def audit_value(key: str, value, tz_name: str) -> str:
    """One value of an audit entry as a person reads it: yes/no, a label, a time of the event's
    zone (times are stored as UTC); anything else as it is."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_l("да") if value else _l("нет"))
    label = VALUE_LABELS.get(key, {}).get(value) if isinstance(value, str) else None
    if label is not None:
        return str(label)
    if key.endswith("_at") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M")
    return str(value)


def moderated_tracks(event: Event, user: User) -> list[Track]:
    return [track for track in event.tracks if user.can_moderate(track)]


def proposals_with_status(track_ids: list[int], *statuses: ProposalStatus,
                          limit: Optional[int] = None) -> list[Proposal]:
    if not track_ids:
        return []
    stmt = (sa.select(Proposal).where(Proposal.track_id.in_(track_ids),
                                      Proposal.status.in_(statuses))
            .order_by(Proposal.id.desc()))
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def flagged_proposals(track_ids: list[int]) -> list[Proposal]:
    if not track_ids:
        return []
    return list(db.session.scalars(sa.select(Proposal).where(
        Proposal.track_id.in_(track_ids), Proposal.flag_count > 0,
        Proposal.status == ProposalStatus.published).order_by(Proposal.flag_count.desc())))


def queued_comments(track_ids: list[int]) -> list[Comment]:
    """Comments waiting for a look: pending ones and published ones with open flags."""
    if not track_ids:
        return []
    return list(db.session.scalars(
        sa.select(Comment).join(Proposal, Comment.proposal_id == Proposal.id)
        .where(Proposal.track_id.in_(track_ids),
               sa.or_(Comment.status == CommentStatus.pending,
                      sa.and_(Comment.status == CommentStatus.published, Comment.flag_count > 0)))
        .order_by(Comment.id.desc()).limit(50)))


def flag_reasons(keys: list[str]) -> dict[str, list[str]]:
    """Open flags' reasons per target key, for the queue."""
    if not keys:
        return {}
    reasons: dict[str, list[str]] = {}
    for key, reason in db.session.execute(sa.select(Flag.target_key, Flag.reason).where(
            Flag.target_key.in_(keys), Flag.resolved.is_(False)).order_by(Flag.id)):
        reasons.setdefault(key, [])
        if reason:
            reasons[key].append(reason)
    return reasons


def published_frame(track_id: int, exclude: tuple[int, ...] = ()):
    """The published proposals of a track as the DataFrame the analysis package expects."""
    import pandas as pd

    rows = db.session.execute(sa.select(Proposal.id, Proposal.title, Proposal.body,
                                        Proposal.expected_result).where(
        Proposal.track_id == track_id, Proposal.status == ProposalStatus.published))
    records = [{"id": row.id, "text": analysis_text(row.title, row.body, row.expected_result)}
               for row in rows if row.id not in exclude]
    return pd.DataFrame(records, columns=["id", "text"])


def similar_to(text: str, track_id: int, *, exclude: tuple[int, ...] = (),
               top_n: int = 5, min_similarity: float = 0.25) -> list[tuple[Proposal, float]]:
    """Published proposals of the track most similar to the text, with their similarity."""
    from analysis import most_similar

    frame = published_frame(track_id, exclude)
    if frame.empty or len(text.strip()) < 4:
        return []
    found = most_similar(text, frame, top_n=top_n, min_similarity=min_similarity)
    ids = [int(i) for i in found["id"]]
    by_id = {p.id: p for p in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids)))}
    return [(by_id[i], float(s)) for i, s in zip(ids, found["similarity"]) if i in by_id]


# The queue is re-rendered on every change; suggestions only change when a proposal or the
# published set of its track changes, so they are kept per process under that signature.
# Threads of a worker share it, hence the lock (an OrderedDict is not safe to mutate from
# several threads at once).
_suggestion_cache: "OrderedDict[tuple, list[tuple[int, float]]]" = OrderedDict()
_suggestion_lock = threading.Lock()
SUGGESTION_CACHE_SIZE = 2000


def track_signature(track_id: int) -> tuple:
    """Changes whenever a proposal of the track is published, hidden, merged or edited."""
    count, newest, edited = db.session.execute(sa.select(
        sa.func.count(Proposal.id), sa.func.max(Proposal.id), sa.func.max(Proposal.updated_at))
        .where(Proposal.track_id == track_id, Proposal.status == ProposalStatus.published)).one()
    return count, newest, edited


def suggestions_for(proposals: list[Proposal]) -> dict[int, list[tuple[Proposal, float]]]:
    """For each queued proposal: the most similar published ones in its track."""
    signatures = {tid: track_signature(tid) for tid in {p.track_id for p in proposals}}
    result = {}
    for p in proposals:
        key = (p.id, p.updated_at, signatures[p.track_id])
        with _suggestion_lock:
            cached = _suggestion_cache.get(key)
        if cached is None:
            found = similar_to(p.analysis_text, p.track_id, exclude=(p.id,),
                               top_n=SIMILAR_LIMIT, min_similarity=SIMILAR_MIN)
            cached = [(other.id, score) for other, score in found]
            with _suggestion_lock:
                _suggestion_cache[key] = cached
                while len(_suggestion_cache) > SUGGESTION_CACHE_SIZE:
                    _suggestion_cache.popitem(last=False)
        result[p.id] = cached
    ids = {i for pairs in result.values() for i, _ in pairs}
    by_id = {o.id: o for o in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids)))}
    return {pid: [(by_id[i], score) for i, score in pairs if i in by_id]
            for pid, pairs in result.items()}


@dataclass
class AuditFilters:
    """Filters of the audit log page; unknown values are ignored."""

    track: Optional[int] = None
    actor: Optional[int] = None
    action: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "AuditFilters":
        def as_int(name):
            try:
                return int(args.get(name, ""))
            except ValueError:
                return None

        action = args.get("action", "")
        page = as_int("page") or 1
        return cls(track=as_int("track"), actor=as_int("actor"),
                   action=action if action in ACTION_LABELS else "",
                   page=max(1, min(page, 100_000)))

    def as_args(self) -> dict:
        return {k: v for k, v in (("track", self.track), ("actor", self.actor),
                                  ("action", self.action)) if v}


def audit_query(event: Event, filters: AuditFilters):
    stmt = sa.select(AuditEntry).where(AuditEntry.event_id == event.id)
    if filters.track:
        stmt = stmt.where(AuditEntry.track_id == filters.track)
    if filters.actor:
        stmt = stmt.where(AuditEntry.actor_id == filters.actor)
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    return stmt.order_by(AuditEntry.id.desc())


def audit_actors(event: Event) -> list[User]:
    """People who appear in the event's audit log, for the filter."""
    return list(db.session.scalars(sa.select(User).where(User.id.in_(
        sa.select(AuditEntry.actor_id).where(AuditEntry.event_id == event.id).distinct()))
        .order_by(User.display_name)))


def staff_context(proposal, user) -> dict:
    """What the detail page's moderation tools show: duplicates and edit history; empty for
    anyone who may not moderate the proposal's track."""
    if not getattr(user, "is_authenticated", False) or not user.can_moderate(proposal.track):
        return {}
    suggestions = []
    if proposal.status is not ProposalStatus.merged:
        suggestions = similar_to(proposal.analysis_text, proposal.track_id,
                                 exclude=(proposal.id,), top_n=SIMILAR_LIMIT,
                                 min_similarity=SIMILAR_MIN)
    return {"suggestions": suggestions, "revisions": list(proposal.revisions)}


def warm_up_similarity() -> None:
    """Load the text models the «Похожие предложения» hint needs (about a second), so the
    first hint of a server process does not wait for them: called once per worker at start-up
    (gunicorn.conf.py), never from a request."""
    import pandas as pd

    from analysis import most_similar

    most_similar("клуб", pd.DataFrame({"id": [1], "text": ["клуб настольных игр"]}))
