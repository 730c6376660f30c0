"""Reads of the polls domain: a poll of an event, the polls a visitor may see, results."""
from typing import Optional

import sqlalchemy as sa
from flask import abort

from strategy.auth.models import User
from strategy.events.models import Event
from strategy.extensions import db
from strategy.polls.models import Poll, PollAnswer, PollChoice, PollKind, PollState

WORDS_SHOWN = 60
WORD_SIZES = 5  # size classes of the cloud: 1 (rare) … 5 (most frequent)


def load_poll(event: Event, poll_id: int) -> Poll:
    """A poll of this event or 404 (a poll of another event is not found here)."""
    poll = db.session.get(Poll, poll_id)
    if poll is None or poll.event_id != event.id:
        abort(404)
    return poll


def visible_polls(event: Event, user: Optional[User], track_id: Optional[int] = None) -> list[Poll]:
    """Open polls first, then finished ones (newest first); drafts only for those who run
    them."""
    stmt = sa.select(Poll).where(Poll.event_id == event.id)
    if track_id is not None:
        stmt = stmt.where(sa.or_(Poll.track_id == track_id, Poll.track_id.is_(None)))
    polls = list(db.session.scalars(stmt.order_by(Poll.id.desc())))
    order = {PollState.open: 0, PollState.draft: 1, PollState.closed: 2}
    return sorted((p for p in polls if p.can_view(user)), key=lambda p: order[p.state])


def open_polls(event: Event, track_id: Optional[int] = None) -> list[Poll]:
    """What the event's and track's pages point the hall to."""
    stmt = sa.select(Poll).where(Poll.event_id == event.id, Poll.state == PollState.open)
    if track_id is not None:
        stmt = stmt.where(sa.or_(Poll.track_id == track_id, Poll.track_id.is_(None)))
    return list(db.session.scalars(stmt.order_by(Poll.id.desc())))


def answer_count(poll: Poll) -> int:
    return db.session.scalar(sa.select(sa.func.count(PollAnswer.id)).where(
        PollAnswer.poll_id == poll.id)) or 0


def percent(count: int, total: int) -> int:
    return round(100 * count / total) if total else 0


def results(poll: Poll) -> dict:
    """Counts as the chart shows them: bars (choices, scale) or words sized by frequency.

    Percentages are of the people who answered (in multiple choice they add up to more than
    100: each person may tick several)."""
    total = answer_count(poll)
    data = {"total": total, "kind": poll.kind.value, "bars": [], "words": [], "mean": None}
    if poll.kind.has_options:
        counts = dict(db.session.execute(
            sa.select(PollChoice.option_id, sa.func.count()).where(PollChoice.poll_id == poll.id)
            .group_by(PollChoice.option_id)).all())
        data["bars"] = [{"id": o.id, "label": o.text, "count": counts.get(o.id, 0),
                         "percent": percent(counts.get(o.id, 0), total)} for o in poll.options]
    elif poll.kind is PollKind.scale:
        counts = dict(db.session.execute(
            sa.select(PollAnswer.value, sa.func.count()).where(PollAnswer.poll_id == poll.id)
            .group_by(PollAnswer.value)).all())
        data["bars"] = [{"id": v, "label": str(v), "count": counts.get(v, 0),
                         "percent": percent(counts.get(v, 0), total)}
                        for v in range(poll.scale_min, poll.scale_max + 1)]
        if total:
            data["mean"] = round(sum(v * n for v, n in counts.items()) / total, 2)
    else:
        rows = db.session.execute(
            sa.select(PollAnswer.word, sa.func.count().label("n")).where(
                PollAnswer.poll_id == poll.id).group_by(PollAnswer.word)
            .order_by(sa.desc("n"), PollAnswer.word).limit(WORDS_SHOWN)).all()
        top = rows[0][1] if rows else 1
        # Sized by frequency; while every word is said once they all stand in the middle size.
        data["words"] = [{"word": word, "count": n,
                          "size": (1 + round((WORD_SIZES - 1) * (n - 1) / (top - 1))
                                   if top > 1 else 3)}
                         for word, n in rows]
    peak = max([b["count"] for b in data["bars"]] or [0])
    for bar in data["bars"]:
        bar["width"] = percent(bar["count"], peak) if peak else 0
    return data


def my_answer(poll: Poll, user: Optional[User]) -> Optional[dict]:
    """What this person answered, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    answer = db.session.scalar(sa.select(PollAnswer).where(
        PollAnswer.poll_id == poll.id, PollAnswer.user_id == user.id))
    if answer is None:
        return None
    chosen = list(db.session.scalars(sa.select(PollChoice.option_id).where(
        PollChoice.answer_id == answer.id)))
    labels = [o.text for o in poll.options if o.id in chosen]
    return {"options": chosen, "labels": labels, "value": answer.value, "word": answer.word}


def polls_for_export(event: Event, track_id: Optional[int] = None) -> list[tuple[Poll, dict]]:
    """Finished and running polls with their results, oldest first (drafts are left out);
    with a track, that track's polls only."""
    stmt = sa.select(Poll).where(Poll.event_id == event.id, Poll.state != PollState.draft)
    if track_id is not None:
        stmt = stmt.where(Poll.track_id == track_id)
    return [(p, results(p)) for p in db.session.scalars(stmt.order_by(Poll.id))]


def result_rows(poll: Poll, data: dict) -> list[tuple[str, int, int]]:
    """(answer, count, percent of those who answered) for each bar or word of a poll."""
    if data["kind"] == "words":
        return [(w["word"], w["count"], percent(w["count"], data["total"]))
                for w in data["words"]]
    return [(b["label"], b["count"], b["percent"]) for b in data["bars"]]
