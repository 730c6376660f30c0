"""Counts stay exact when many people act at once (real threads, real database)."""
import threading

import sqlalchemy as sa

from strategy.extensions import db
from strategy.proposals.models import Proposal
from strategy.supports.models import Support

PEOPLE = 50


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

    threads = [threading.Thread(target=person, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(statuses).count(200) == PEOPLE
    assert sorted(statuses).count(409) == PEOPLE
    db.session.expire_all()
    stored = db.session.get(Proposal, proposal.id)
    rows = db.session.scalar(sa.select(sa.func.count(Support.id)).where(
        Support.proposal_id == proposal.id))
    assert rows == PEOPLE
    assert stored.support_count == PEOPLE
