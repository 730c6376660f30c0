"""The track page's list (filters, count, 20 cards, pages), rendered once and reused.

Rendering the list (badges, author lines, counters and the support buttons with their
translations and URLs) was most of a track page's time, and reading it (the page of 20, the
count, the municipalities of the filter, the official answers) most of the rest. None of it
depends on who reads the page except the support buttons, so it is kept in bounded in-process
caches (per worker), in two layers:

* **the list** of one (track, filters, page, locale, phases): its HTML around the cards and a
  copy of each card's data, under the event's data version (strategy.live.broker) read
  *before* the rows. Every write that changes what the list shows records a change (a
  support, an edit, a hidden or pinned proposal, a phase, an answer, a comment, a join, a
  suspended or deleted participant), so the next load after it has a new version and reads and
  renders again; a write committed between the version and the rows only makes the stored list
  newer than its key. The phases that follow the clock (support and submission end times)
  are part of the key, and a list older than MAX_AGE_S is read again whatever the version.
* **each card** in each button (supported, not yet, none, the guest's sign-in link, closed),
  under the values it shows: rendered the first time a reader needs it, so a support
  re-renders one card, not twenty.

Per request only the reader's part is added: which cards they support (one query), whether a
card is their own, their CSRF token and the page's address in the support forms (markers in
the stored HTML, replaced with the escaped values).
"""
import secrets
import threading
import time
from collections import OrderedDict
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from strategy.extensions import db
from strategy.live.broker import data_version
from strategy.proposals.models import ProposalStatus
from strategy.supports.models import Support

# Random per process: no proposal text can contain them by accident or on purpose.
CSRF_MARK = f"csrf{secrets.token_hex(12)}"
NEXT_MARK = f"next{secrets.token_hex(12)}"
SLOT_MARK = f"card{secrets.token_hex(12)}"
MAX_CARDS = 6000     # cards in a button: 50 pages of 20 in three buttons; about 1.5 KB each
MAX_LISTS = 200      # lists: the HTML around 20 cards and their data, about 60 KB
MAX_AGE_S = 60.0     # a safety net for a write that forgot to record its change


class LRU:
    """A bounded least-recently-used map (thread- and greenlet-safe: no I/O under the lock)."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


cards = LRU(MAX_CARDS)
lists = LRU(MAX_LISTS)


def clear() -> None:
    cards.clear()
    lists.clear()


class Card(SimpleNamespace):
    """What _card.html reads of a proposal, copied out of the ORM so that a stored list can
    render a card again in a later request (with that request's event and track)."""

    @classmethod
    def of(cls, proposal, answer) -> "Card":
        author = proposal.author
        return cls(id=proposal.id, event_id=proposal.event_id, title=proposal.title,
                   body=proposal.body, kind=proposal.kind, status=proposal.status,
                   is_pinned=proposal.is_pinned, support_count=proposal.support_count,
                   comment_count=proposal.comment_count, join_count=proposal.join_count,
                   author_id=proposal.author_id,
                   author=None if author is None else SimpleNamespace(
                       display_name=author.display_name,
                       public_affiliation=author.public_affiliation),
                   answer=None if answer is None else SimpleNamespace(state=answer.state))

    @property
    def key(self) -> tuple:
        """Everything the card shows, as plain values."""
        author = self.author
        return (self.id, self.event_id, self.title, self.body, self.kind.value,
                self.status.value, self.is_pinned, self.support_count, self.comment_count,
                self.join_count, None if author is None else (author.display_name,
                                                              author.public_affiliation),
                None if self.answer is None else self.answer.state.value)


class Phases:
    """What chooses the buttons, the same for every reader of a track right now."""

    def __init__(self, event, track, show_counts: bool):
        self.takes_supports = event.can_take_part("support")
        self.track_open = track.accepts_supports()
        self.show_counts = bool(show_counts)
        self.key = (event.status.value, self.takes_supports, self.track_open,
                    track.accepts_proposals(), self.show_counts, event.allow_self_support)


class CardRenderer:
    """``cards.html(proposal)`` while proposals/_listing.html renders: copies the card's data
    and leaves a marker where the card goes (the cards are rendered per reader's button)."""

    def __init__(self):
        self.answers: dict = {}
        self.slots: list[Card] = []

    def html(self, proposal) -> Markup:
        self.slots.append(Card.of(proposal, self.answers.get(proposal.id)))
        return Markup(SLOT_MARK)


def button_for(card: Card, user, supported: set, phases: "Phases", may_support: bool,
               allow_self: bool) -> str:
    """The reader's button on one card: the branches of _support_button.html, with
    Proposal.can_support's event- and track-wide part (``may_support``) computed once."""
    if not phases.takes_supports:
        return "closed"
    if not getattr(user, "is_authenticated", False):
        return "anon" if phases.track_open else "none"
    if card.id in supported:
        return "on"
    if may_support and card.status is ProposalStatus.published and (
            allow_self or user.id != card.author_id):
        return "off"
    return "none"


def card_html(card: Card, button: str, event, track, phases: "Phases", where: tuple) -> str:
    """One card with one button, from the cache or rendered (with markers for the reader's
    token and address)."""
    key = (where, phases.key, card.key, button)
    html = cards.get(key)
    if html is None:
        shown = SimpleNamespace(**vars(card), event=event, track=track)
        html = render_template(
            "proposals/_card.html", proposal=shown, answers={card.id: card.answer},
            supported={card.id} if button == "on" else set(), show_counts=phases.show_counts,
            card_button={"on": "form", "off": "form", "anon": "join"}.get(button, "none"),
            card_csrf=CSRF_MARK, card_next=NEXT_MARK)
        cards.put(key, html)
    return html


class Listing:
    """One list: its stored parts and what the page needs besides (the cards' ids)."""

    def __init__(self, parts: list[str], slots: list[Card], made_at: float):
        self.parts, self.slots, self.made_at = parts, slots, made_at

    @property
    def proposal_ids(self) -> list[int]:
        return [card.id for card in self.slots]

    def html_for(self, event, track, user, supported: set, phases: "Phases",
                 where: tuple) -> Markup:
        may_support = bool(getattr(user, "is_authenticated", False) and phases.track_open
                           and phases.takes_supports and user.acts_in(event))
        allow_self = event.allow_self_support
        out = [self.parts[0]]
        forms = False
        for card, part in zip(self.slots, self.parts[1:]):
            button = button_for(card, user, supported, phases, may_support, allow_self)
            forms = forms or button in ("on", "off")
            out.append(card_html(card, button, event, track, phases, where))
            out.append(part)
        html = "".join(out)
        if forms:
            html = html.replace(CSRF_MARK, str(escape(current_app.jinja_env.globals[
                "csrf_token"]()))).replace(NEXT_MARK, str(escape(request.full_path)))
        return Markup(html)


def track_listing(event, track, filters, user, show_counts: bool, render) -> tuple:
    """The list of ``track`` under ``filters`` for ``user``: (html, proposal ids).

    ``render(cards)`` reads the rows, sets ``cards.answers`` and renders
    proposals/_listing.html with ``cards`` (the route's own queries); it runs only when no
    stored list is current."""
    phases = Phases(event, track, show_counts)
    where = (str(get_locale()), request.script_root)
    version = data_version(event.id) if current_app.config.get("LIST_CACHE", True) else None
    key = (where, event.id, track.id, track.slug, filters.kind, filters.municipality, filters.q,
           filters.sort, filters.page, filters.answer, phases.key, version)
    listing = lists.get(key) if version is not None else None
    if listing is None or time.monotonic() - listing.made_at > MAX_AGE_S:
        renderer = CardRenderer()
        html = render(renderer)
        listing = Listing(html.split(SLOT_MARK), renderer.slots, time.monotonic())
        if version is not None:
            lists.put(key, listing)
    supported = supported_among(user, listing.proposal_ids)
    return listing.html_for(event, track, user, supported, phases, where), listing.proposal_ids


def supported_among(user, proposal_ids: list[int]) -> set[int]:
    """The reader's supports among the page's cards (strategy.events.queries.supported_ids,
    with its statement built once: building an IN of 20 ids anew cost more than running it)."""
    if not getattr(user, "is_authenticated", False) or not proposal_ids:
        return set()
    return set(db.session.scalars(SUPPORTED_AMONG, {"user_id": user.id, "ids": proposal_ids}))


SUPPORTED_AMONG = sa.select(Support.proposal_id).where(
    Support.user_id == sa.bindparam("user_id"),
    Support.proposal_id.in_(sa.bindparam("ids", expanding=True)))
