"""The track page's list (filters, count, 20 cards, pages), rendered once and reused.

Rendering the list (badges, author lines, counters and the support buttons with their
translations and URLs) was most of a track page's time, and reading it (the page of 20, the
count, the municipalities of the filter, the official answers) most of the rest. None of it
depends on who reads the page except the support buttons, so the list is kept in a bounded
in-process cache (per worker) in two layers:

* **the list** of one (track, filters, page, locale, kind of reader, phases), under the
  event's change cursor (strategy.live.broker.latest_cursor) read *before* the rows: every
  write that changes what the list shows records a change (a support, an edit, a hidden or
  pinned proposal, a phase, an answer, a comment, a join, a suspended or deleted participant),
  so the next load after it has a new cursor and renders again; a write committed between the
  cursor and the rows only makes the stored list newer than its key. The phases that follow
  the clock (support and submission end times) are part of the key, and an entry older than
  MAX_AGE_S is rendered again whatever the cursor says.
* **each card**, under the values it shows (title, body, kind, pin, counts, author line,
  answer, which button), so a support re-renders its card only, not the other 19.

A stored list holds every card in each button its kind of reader can see (signed in:
supported, not yet supported, none; a guest: the sign-in link or none). Per request only the
reader's own part is added: which cards they support (one query), whether a card is their own,
their CSRF token and the page's address in the support forms (markers in the stored HTML).
"""
import secrets
import threading
import time
from collections import OrderedDict

from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from strategy.events.queries import supported_ids
from strategy.live.broker import latest_cursor
from strategy.proposals.models import ProposalStatus

# Random per process: no proposal text can contain them by accident or on purpose.
CSRF_MARK = f"csrf{secrets.token_hex(12)}"
NEXT_MARK = f"next{secrets.token_hex(12)}"
SLOT_MARK = f"card{secrets.token_hex(12)}"
MAX_CARDS = 6000     # card variants: 50 pages of 20 in three buttons; about 1.5 KB each
MAX_LISTS = 200      # lists (about 60 KB each: they share the cards' strings)
MAX_AGE_S = 60.0     # a safety net for a write that forgot to record its change

SIGNED_IN_BUTTONS = ("on", "off", "none")


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


def card_key(proposal, answer, button: str, show_counts: bool) -> tuple:
    """Everything _card.html shows of a proposal of a published list, as plain values."""
    author = proposal.author
    return (proposal.id, proposal.event_id, proposal.title, proposal.body, proposal.kind.value,
            proposal.status.value, proposal.is_pinned, proposal.support_count,
            proposal.comment_count, proposal.join_count,
            (author.display_name, author.public_affiliation) if author is not None else None,
            answer.state.value if answer is not None else None, button, bool(show_counts))


class Phases:
    """What chooses the buttons, the same for every reader of a track right now."""

    def __init__(self, event, track, show_counts: bool):
        self.takes_supports = event.can_take_part("support")
        self.track_open = track.accepts_supports()
        self.show_counts = bool(show_counts)
        self.key = (event.status.value, self.takes_supports, self.track_open,
                    track.accepts_proposals(), self.show_counts, event.allow_self_support)

    def buttons(self, signed_in: bool) -> tuple:
        """The buttons a card may show to this kind of reader."""
        if not self.takes_supports:
            return ("closed",)
        if signed_in:
            return SIGNED_IN_BUTTONS
        return ("anon",) if self.track_open else ("none",)


class CardRenderer:
    """``listing.html(proposal)`` while a list renders: each card in every button of
    ``buttons``, kept per card; the list gets a marker where the card goes."""

    def __init__(self, phases: Phases, buttons: tuple, answers: dict, where: tuple):
        self.phases, self.buttons, self.answers, self.where = phases, buttons, answers, where
        self.slots: list[tuple] = []

    def html(self, proposal) -> Markup:
        variants = {b: self.card(proposal, b) for b in self.buttons}
        self.slots.append((proposal.id, proposal.author_id, proposal.status, variants))
        return Markup(SLOT_MARK)

    def card(self, proposal, button: str) -> str:
        answer = self.answers.get(proposal.id)
        key = (self.where, card_key(proposal, answer, button, self.phases.show_counts))
        html = cards.get(key)
        if html is None:
            html = render_template(
                "proposals/_card.html", proposal=proposal, answers=self.answers,
                supported={proposal.id} if button == "on" else set(),
                show_counts=self.phases.show_counts,
                card_button={"on": "form", "off": "form", "anon": "join"}.get(button, "none"),
                card_csrf=CSRF_MARK, card_next=NEXT_MARK)
            cards.put(key, html)
        return html


def button_for(slot, user, supported: set, phases: Phases, may_support: bool,
               allow_self: bool) -> str:
    """The reader's button on one card: the branches of _support_button.html, with
    Proposal.can_support's event- and track-wide part (``may_support``) computed once."""
    proposal_id, author_id, status, _variants = slot
    if not phases.takes_supports:
        return "closed"
    if not getattr(user, "is_authenticated", False):
        return "anon" if phases.track_open else "none"
    if proposal_id in supported:
        return "on"
    if may_support and status is ProposalStatus.published and (
            allow_self or user.id != author_id):
        return "off"
    return "none"


class Listing:
    """One list: its stored parts and what the page needs besides (the cards' ids)."""

    def __init__(self, parts: list[str], slots: list[tuple], made_at: float):
        self.parts, self.slots, self.made_at = parts, slots, made_at

    @property
    def proposal_ids(self) -> list[int]:
        return [slot[0] for slot in self.slots]

    def html_for(self, event, track, user, supported: set, phases: Phases) -> Markup:
        may_support = bool(getattr(user, "is_authenticated", False) and phases.track_open
                           and phases.takes_supports and user.acts_in(event))
        allow_self = event.allow_self_support
        out = [self.parts[0]]
        forms = False
        for slot, part in zip(self.slots, self.parts[1:]):
            button = button_for(slot, user, supported, phases, may_support, allow_self)
            forms = forms or button in ("on", "off")
            out.append(slot[3][button])
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
    signed_in = bool(getattr(user, "is_authenticated", False))
    where = (str(get_locale()), request.script_root)
    cursor = latest_cursor(event.id) if current_app.config.get("LIST_CACHE", True) else None
    key = (where, event.id, track.id, track.slug, filters.kind, filters.municipality, filters.q,
           filters.sort, filters.page, filters.answer, signed_in, phases.key, cursor)
    listing = lists.get(key) if cursor is not None else None
    if listing is None or time.monotonic() - listing.made_at > MAX_AGE_S:
        renderer = CardRenderer(phases, phases.buttons(signed_in), {}, where)
        html = render(renderer)
        listing = Listing(html.split(SLOT_MARK), renderer.slots, time.monotonic())
        if cursor is not None:
            lists.put(key, listing)
    supported = supported_ids(user, listing.proposal_ids)
    return listing.html_for(event, track, user, supported, phases), listing.proposal_ids
