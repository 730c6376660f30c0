"""The track page at scale: a bounded number of queries whatever the track holds, and its
default order read from an index instead of sorting the whole track."""
import sqlalchemy as sa

from strategy.extensions import db
from strategy.live.broker import data_version
from strategy.proposals import cards
from strategy.proposals.queries import ListFilters, proposals_query


def statements_for(client, url: str, stored: bool = False) -> int:
    """Statements of one page load; unless ``stored``, with no list kept from an earlier load."""
    if not stored:
        cards.clear()
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


def statements_for_a_stored_list(client, url: str, event_id: int) -> int:
    """Statements of a load that finds the list stored by the load just before it.

    On PostgreSQL the data version holds the live cursor, which moves when any transaction of
    the server ends, another test's in another database too; a load across such a move reads
    the list again, rightly. So the two loads are repeated until the version held still."""
    for _ in range(10):
        version = data_version(event_id)
        client.get(url)
        count = statements_for(client, url, stored=True)
        if data_version(event_id) == version:
            return count
    raise AssertionError("the data version kept moving with nothing written to the event")


def test_queries_per_page_do_not_grow_with_the_track(client, auth, event, create_participant,
                                                      create_proposal):
    track = event.tracks[0]
    authors = [create_participant(event, name=f"Автор {i}") for i in range(5)]
    for i in range(25):
        create_proposal(track, authors[i % 5], title=f"Предложение номер {i} о библиотеках")
    reader = create_participant(event, name="Читатель")
    auth.as_participant(reader)
    url = f"/events/{event.id}/tracks/{track.slug}"
    client.get(url)  # the first request warms what every later one reuses
    small = statements_for(client, url)
    for i in range(25, 70):
        create_proposal(track, authors[i % 5], title=f"Предложение номер {i} о библиотеках")
    large = statements_for(client, url)
    assert large == small
    assert small <= 16
    assert statements_for_a_stored_list(client, url, event.id) < small  # not read again
    page_two = client.get(url + "?page=2").get_data(as_text=True)
    assert "Предложение номер 49" in page_two or "Предложение номер 50" in page_two


def test_the_default_order_is_read_from_an_index(app, event):
    if db.engine.dialect.name != "sqlite":
        return  # the plan's wording is SQLite's; PostgreSQL plans by statistics
    track = event.tracks[0]
    statement = proposals_query(track, ListFilters.from_args({})).limit(20)
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = " ".join(str(row[-1]) for row in db.session.execute(
        sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_proposals_track_order" in plan
    assert "TEMP B-TREE" not in plan  # no sort of the whole track for a page of 20
