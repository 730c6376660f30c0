"""SQLite's per-process write turn (strategy.core.db.write_gate): every way a write request ends
gives the turn back, so the next writer of the process never waits for a finished one."""
import threading

import pytest
import sqlalchemy as sa

from strategy.core.db import write_gate
from strategy.extensions import db
from strategy.live.models import Change
from strategy.proposals.models import Proposal
from strategy.supports.models import Support


@pytest.fixture
def gate(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write turn is SQLite's")
    return write_gate(db.engine)


def assert_free(gate):
    assert gate.acquire(blocking=False), "a finished request kept the process's write turn"
    gate.release()


def test_the_turn_is_given_back_after_a_support_a_refusal_and_a_withdrawal(
        app, event, create_participant, create_proposal, gate):
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    voter = create_participant(event)
    client = app.test_client()
    client.post(f"/r/{voter.plain_code}")
    base = f"/api/v1/events/{event.id}/proposals/{proposal.id}"
    db.session.remove()
    assert client.post(f"{base}/support").status_code == 200
    assert_free(gate)
    assert client.post(f"{base}/support").status_code == 409  # already supported: rollback
    assert_free(gate)
    assert client.delete(f"{base}/support").status_code in (200, 204)
    assert_free(gate)


def test_parallel_supports_of_one_process_take_turns_and_count_exactly(
        app, event, create_participant, create_proposal, gate):
    proposal = create_proposal(event.tracks[0], create_participant(event, name="Автор"))
    voters = [create_participant(event, name=f"Участник {i}") for i in range(12)]
    clients = []
    for voter in voters:
        client = app.test_client()
        client.post(f"/r/{voter.plain_code}")
        clients.append(client)
    url = f"/api/v1/events/{event.id}/proposals/{proposal.id}/support"
    db.session.remove()
    start = threading.Barrier(len(clients))
    statuses = []

    def click(client):
        start.wait()
        statuses.append(client.post(url).status_code)

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * len(clients)
    assert_free(gate)
    db.session.remove()
    assert db.session.get(Proposal, proposal.id).support_count == len(clients)
    assert db.session.scalar(sa.select(sa.func.count(Support.id)).where(
        Support.proposal_id == proposal.id)) == len(clients)
    # one change row per support, each announced to the live screens
    assert db.session.scalar(sa.select(sa.func.count(Change.id)).where(
        Change.proposal_id == proposal.id, Change.kind == "support")) == len(clients)
