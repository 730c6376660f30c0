"""Counts stay exact when many people act at once (real threads, real database)."""
import threading

import sqlalchemy as sa

from strategy.extensions import db
from strategy.proposals.models import Proposal
from strategy.supports.models import Support

PEOPLE = 50


def at_once(person, arguments) -> None:
    """One thread per argument, all started, then all joined (each waits on its barrier)."""
    threads = [threading.Thread(target=person, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_fifty_people_supporting_twice_end_with_fifty_supports(app, event, create_participant,
                                                               create_proposal):
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    codes = [create_participant(event, name=f"Участник {i}").plain_code for i in range(PEOPLE)]
    url = f"/api/v1/events/{event.id}/proposals/{proposal.id}/support"  # what the button calls
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(PEOPLE)

    def person(code: str) -> None:
        client = app.test_client()
        client.post(f"/r/{code}")
        start.wait()
        for _ in range(2):
            status = client.post(url).status_code
            with lock:
                statuses.append(status)

    at_once(person, codes)

    assert sorted(statuses).count(200) == PEOPLE
    assert sorted(statuses).count(409) == PEOPLE
    db.session.expire_all()
    stored = db.session.get(Proposal, proposal.id)
    rows = db.session.scalar(sa.select(sa.func.count(Support.id)).where(
        Support.proposal_id == proposal.id))
    assert rows == PEOPLE
    assert stored.support_count == PEOPLE


def test_parallel_clicks_of_one_person_never_overspend_a_vote_budget(
        app, event, create_staff, create_participant, create_proposal):
    """Dot voting: one person's five tabs click five proposals at once; the budget of two holds
    (the person's row is locked inside one transaction, on PostgreSQL too)."""
    from strategy.auth.models import Role
    from strategy.events import operations as event_ops

    track = event.tracks[0]
    author = create_participant(event, name="Автор")
    proposals = [create_proposal(track, author, title=f"Предложение номер {i}")
                 for i in range(5)]
    event_ops.set_support_rules(track, create_staff(Role.organiser, email="metod@example.org"),
                                budget=2, hide_counts=False, projector_shows_counts=True)
    code = create_participant(event, name="Голосующая").plain_code
    urls = [f"/api/v1/events/{event.id}/proposals/{p.id}/support" for p in proposals]
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(proposals))

    def tab(url: str) -> None:
        client = app.test_client()
        client.post(f"/r/{code}")
        start.wait()
        status = client.post(url).status_code
        with lock:
            statuses.append(status)

    at_once(tab, urls)

    assert sorted(statuses) == [200, 200, 409, 409, 409]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Support.id))) == 2
    assert sum(db.session.get(Proposal, p.id).support_count for p in proposals) == 2


def test_supports_and_withdrawals_at_once_leave_the_count_equal_to_the_rows(
        app, event, create_participant, create_proposal):
    """Each person supports, withdraws and supports again while the others do the same."""
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    codes = [create_participant(event, name=f"Участник {i}").plain_code for i in range(20)]
    url = f"/api/v1/events/{event.id}/proposals/{proposal.id}/support"
    start = threading.Barrier(len(codes))
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()

    def person(code: str) -> None:
        client = app.test_client()
        client.post(f"/r/{code}")
        start.wait()
        for method in (client.post, client.delete, client.post, client.delete, client.post):
            status = method(url).status_code
            with lock:
                answers.append((method.__name__, status))

    at_once(person, codes)

    assert [status for _, status in answers] == [200] * 5 * len(codes)
    db.session.expire_all()
    rows = db.session.scalar(sa.select(sa.func.count(Support.id)).where(
        Support.proposal_id == proposal.id))
    assert rows == len(codes) == db.session.get(Proposal, proposal.id).support_count
