"""The track page's stored list (strategy.proposals.cards): the same HTML as a fresh render for
every kind of reader, nobody's buttons or token on another's page, and every write that changes
what the list shows visible on the next load."""
import re

import pytest
import sqlalchemy as sa

from strategy.auth.models import Role
from strategy.auth.operations import DELETED_NAME, delete_account, suspend_participants
from strategy.events.operations import close_phase
from strategy.events.models import EventStatus
from strategy.extensions import db
from strategy.moderation.operations import hide_proposal, set_pinned
from strategy.proposals import cards
from strategy.proposals.operations import update_proposal
from strategy.supports.operations import add_support
from tests.conftest import settle_feed

TOKENS = re.compile(r'(name="csrf_token" value="|name="csrf-token" content=")[^"]+"')
FORM_TOKEN = re.compile(r'<form method="post" class="support-form".*?name="csrf_token" '
                        r'value="([^"]+)"', re.S)
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture
def world(event, create_participant, create_proposal, create_staff):
    """25 proposals of three authors (two pages); the reader wrote one and supports two."""
    track = event.tracks[0]
    authors = [create_participant(event, name=f"Автор {i}") for i in range(3)]
    reader = create_participant(event, name="Читатель")
    proposals = [create_proposal(track, authors[i % 3], title=f"Предложение {i} о чтении")
                 for i in range(24)]
    proposals.append(create_proposal(track, reader, title="Предложение читателя"))
    for p in proposals[3:5]:
        add_support(p, reader)
    organiser = create_staff(Role.organiser, event=event)
    cards.clear()
    return {"event": event, "track": track, "authors": authors, "reader": reader,
            "proposals": proposals, "organiser": organiser,
            "url": f"/events/{event.id}/tracks/{track.slug}"}


def load(client, url: str) -> str:
    settle_feed(int(url.split("/")[2]))  # the stored list is keyed by the feed's cursor
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def fresh(app, client, url: str) -> str:
    """The page as rendered with no stored list at all."""
    app.config["LIST_CACHE"] = False
    try:
        return load(client, url)
    finally:
        app.config["LIST_CACHE"] = True


def same_page(app, client, url: str) -> None:
    load(client, url)  # stores the list (or reads one another reader stored)
    stored = load(client, url)
    assert TOKENS.sub(r'\1T"', stored) == TOKENS.sub(r'\1T"', fresh(app, client, url))


def card(html: str, proposal) -> str:
    start = html.index(f'id="proposal-{proposal.id}"')
    return html[start:html.index("</article>", start)]


URLS = ("", "?page=2", "?sort=new", "?sort=discussed&page=2", "?q=чтении", "?kind=idea",
        "?page=99")


@pytest.mark.parametrize("query", URLS)
def test_a_stored_list_is_the_fresh_page_for_every_reader(app, client, auth, world, query):
    url = world["url"] + query
    same_page(app, client, url)  # a guest
    auth.as_participant(world["reader"])  # own proposal, two supported
    same_page(app, client, url)
    assert 'lang="ru"' in load(client, url)
    client.post("/lang/en")  # the same reader in English
    same_page(app, client, url)
    client.post("/lang/ru")
    auth.logout()
    auth.as_staff(world["organiser"])
    same_page(app, client, url)


def test_closed_phases_and_hidden_counts_are_the_fresh_page(app, client, auth, world):
    event, track, url = world["event"], world["track"], world["url"]
    auth.as_participant(world["reader"])
    track.hide_counts = True
    db.session.commit()
    same_page(app, client, url)
    assert "счёт скрыт до конца голосования" in load(client, url)
    close_phase(track, world["organiser"], "support")
    same_page(app, client, url)
    event.status = EventStatus.finished
    db.session.commit()
    same_page(app, client, url)
    assert "поддержка закрыта" in load(client, url)


def test_nobody_sees_another_readers_buttons_or_token(app, client, auth, world):
    reader, other = world["reader"], world["authors"][2]  # wrote neither supported one
    supported = world["proposals"][3]
    auth.as_participant(reader)
    mine = load(client, world["url"])
    assert 'aria-pressed="true"' in card(mine, supported)
    second = app.test_client()
    second.post(f"/r/{other.plain_code}")
    theirs = load(second, world["url"])
    assert 'aria-pressed="false"' in card(theirs, supported)
    assert "Вы поддержали · отозвать\n" not in card(theirs, supported)
    # each page's support forms carry its own reader's token, the one of its meta tag
    for html in (mine, theirs, load(client, world["url"])):
        assert set(FORM_TOKEN.findall(html)) == {META_TOKEN.search(html).group(1)}
    # a reader's own proposal has no support button for them, and one for everybody else
    own = world["proposals"][-1]
    assert "support-form" not in card(mine, own)
    assert "support-form" in card(theirs, own)
    # a guest gets the sign-in link, not a signed-in reader's form
    guest = load(app.test_client(), world["url"])
    assert "support-form" not in guest and "Войдите, чтобы поддержать" in card(guest, own)


def count_on(html: str, proposal) -> int:
    return int(re.search(rf'data-live-count="{proposal.id}">(\d+)<', html).group(1))


def test_each_write_shows_on_the_next_load(app, client, auth, world):
    url = world["url"] + "?sort=new"  # every proposal stays on page 1 or 2 whatever its count
    target = world["proposals"][20]
    auth.as_participant(world["reader"])
    assert count_on(load(client, url), target) == 0

    add_support(target, world["authors"][1])  # a new support
    html = load(client, url)
    assert count_on(html, target) == 1

    update_proposal(target, world["authors"][20 % 3], {"title": "Совсем новое название"})
    assert "Совсем новое название" in card(load(client, url), target)  # an edit

    set_pinned(target, world["organiser"], True)
    assert "Закреплено" in card(load(client, url), target)

    suspend_participants(world["event"], world["organiser"], [world["authors"][1]])
    assert count_on(load(client, url), target) == 0  # their support stops counting

    hidden = world["proposals"][21]
    assert f'id="proposal-{hidden.id}"' in load(client, url)
    hide_proposal(hidden, world["organiser"], "Повтор")
    assert f'id="proposal-{hidden.id}"' not in load(client, url)  # a moderation hide

    author = world["authors"][22 % 3]
    delete_account(author, author)
    assert DELETED_NAME in card(load(client, url), world["proposals"][22])

    assert 'aria-pressed="false"' in load(client, url)
    close_phase(world["track"], world["organiser"], "support")  # a phase change
    html = load(client, url)  # only the reader's own supports keep their (withdraw) form
    assert 'aria-pressed="false"' not in html and "Поддержка закрыта" in html


def test_a_write_shows_while_another_transaction_holds_the_live_cursor(app, client, auth,
                                                                        world):
    """On PostgreSQL the live cursor waits for the oldest transaction in flight on the server
    (a backup, a long job, another connection): an edit committed meanwhile must still show on
    the next load, not the list stored before it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the cursor waits for transactions in flight only on PostgreSQL")
    url = world["url"] + "?sort=new"
    target = world["proposals"][20]
    auth.as_participant(world["reader"])
    load(client, url)  # stores the list
    with db.engine.connect() as other:
        other.begin()
        other.execute(sa.text("SELECT pg_current_xact_id()"))  # a transaction id, held open
        update_proposal(target, world["authors"][20 % 3], {"title": "Название во время бэкапа"})
        response = client.get(url)  # no settling: the cursor cannot move past `other`
        assert "Название во время бэкапа" in card(response.get_data(as_text=True), target)
        other.rollback()


def test_english_is_stored_apart(client, auth, world):
    auth.as_participant(world["reader"])
    russian = load(client, world["url"])
    client.post("/lang/en")
    english = load(client, world["url"])
    assert 'lang="en"' in english and 'data-off="Поддержать"' in russian
    assert 'data-off="Поддержать"' not in english  # the cards too, not only the header
    assert english != russian
