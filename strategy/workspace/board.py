"""What the affinity board shows: a track's sections as columns and its proposals as cards,
with their counts, agreement and a contested mark, and which cards pass the filters.

Reads only. The agreement figures follow the rule of the draft's downloads (see
``contested``); when the export's agreement module is on main this is the one place to call
it instead."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from strategy.comments.models import Comment, CommentStatus, Stance
from strategy.events.models import Event, Track
from strategy.export.drafts import ExportData, SectionView, load_export_data, section_views
from strategy.proposals.models import Proposal, ProposalKind
from strategy.review.models import ANSWER_FILTERS
from strategy.review.queries import answers_for
from strategy.workspace.models import DraftSection
from strategy.workspace.queries import latest_grouping

#: Many objections (at least as many as comments in favour) make a proposal contested ...
MANY_AGAINST = 3
#: ... and so does a proposal wanted by a quarter of the track yet objected to by two people.
HIGH_SUPPORT_SHARE = 0.25
HIGH_AGAINST = 2


@dataclass(frozen=True)
class Filters:
    """The board's filters, as in the page's query string."""

    kind: str = ""
    contested: bool = False
    q: str = ""
    answer: str = ""  # an official answer's state, or "none" (not answered yet)

    @classmethod
    def from_args(cls, args) -> "Filters":
        kind, answer = args.get("kind", ""), args.get("answer", "")
        return cls(kind=kind if kind in {k.value for k in ProposalKind} else "",
                   contested=args.get("contested") in ("1", "on", "true"),
                   q=" ".join((args.get("q") or "").split())[:100],
                   answer=answer if answer in ANSWER_FILTERS else "")

    @property
    def active(self) -> bool:
        return bool(self.kind or self.contested or self.q or self.answer)


@dataclass
class Card:
    proposal: Proposal
    section_id: Optional[int]
    for_: int
    against: int
    contested: bool
    library: str
    search: str
    answer: str = "none"  # the official answer's state, "none" before one is given
    shown: bool = True


@dataclass
class Column:
    view: SectionView
    cards: list[Card]

    @property
    def section(self) -> Optional[DraftSection]:
        return self.view.section

    @property
    def key(self) -> str:
        return str(self.section.id) if self.section else "loose"

    @property
    def contested(self) -> int:
        return sum(card.contested for card in self.cards)

    @property
    def shown(self) -> int:
        return sum(card.shown for card in self.cards)

    @property
    def share(self) -> int:
        """Supporters of the section as a percentage of the track's supporters."""
        total = self.view.track_supporters
        return round(100 * self.view.supporters / total) if total else 0

    @property
    def summary_line(self) -> str:
        """The first sentence of the section's summary: what the column head shows. A first
        sentence that only names the section («… по теме «Title» — 14 предложений»: the head
        already shows both) gives way to the next one."""
        if self.section is None:
            return ""
        summary = " ".join((self.view.summary or "").split())
        line = first_sentence(summary)
        rest = summary[len(line):].strip()
        if rest and f"«{self.view.title}»" in line:
            return first_sentence(rest)
        return line

    @property
    def subtopic_titles(self) -> list[str]:
        return [title for title, _members in self.view.subtopics] if self.section else []

    @property
    def see_also(self) -> int:
        """Proposals of other sections that fit this one about as well («см. также»)."""
        return len(self.view.see_also) if self.section else 0


@dataclass
class Board:
    event: Event
    track: Track
    columns: list[Column]
    run_id: int
    filters: Filters
    titles: dict[int, str] = field(default_factory=dict)

    @property
    def sections(self) -> list[DraftSection]:
        return [c.section for c in self.columns if c.section is not None]

    @property
    def cards(self) -> int:
        return sum(len(c.cards) for c in self.columns)

    @property
    def shown(self) -> int:
        return sum(c.shown for c in self.columns)


#: A sentence ends at . ! ? or … before a capital or an opening quote, unless the word before
#: the stop is an initial or a short abbreviation («им. А. Вампилова», «г. Иркутска»).
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(A-ZА-ЯЁ0-9])")
SHORT_WORD = re.compile(r"(?:^|[\s(])(?:[а-яёa-z]{1,2}|пос|обл|тыс|[А-ЯЁA-Z])[.]$")


def first_sentence(text: str) -> str:
    """The first sentence of a summary (the whole text when it has one sentence)."""
    text = " ".join((text or "").split())
    for stop in SENTENCE_END.finditer(text):
        head = text[:stop.start()]
        if not SHORT_WORD.search(head):
            return head
    return text


def fold_search(text: str) -> str:
    """Lower case with ё→е, one space between words: the page's script folds queries alike."""
    return " ".join((text or "").casefold().replace("ё", "е").split())


def stances(comments: list[Comment]) -> dict[int, tuple[int, int]]:
    """(for, against) per proposal from published comments, each person's latest stance."""
    latest: dict[int, dict[int, Stance]] = defaultdict(dict)
    for comment in sorted(comments, key=lambda c: c.id):
        if comment.status is CommentStatus.published and comment.stance is not None:
            person = comment.author_id if comment.author_id is not None else -comment.id
            latest[comment.proposal_id][person] = comment.stance
    return {pid: (sum(s is Stance.for_ for s in people.values()),
                  sum(s is Stance.against for s in people.values()))
            for pid, people in latest.items()}


def contested(share: float, for_: int, against: int) -> bool:
    """Many against, or wanted and disputed at once (the rule of the draft's downloads)."""
    return ((against >= MANY_AGAINST and against >= for_)
            or (share >= HIGH_SUPPORT_SHARE and against >= HIGH_AGAINST))


def matches(card: Card, filters: Filters) -> bool:
    if filters.kind and card.proposal.kind.value != filters.kind:
        return False
    if filters.contested and not card.contested:
        return False
    if filters.answer and card.answer != filters.answer:
        return False
    return not filters.q or fold_search(filters.q) in card.search


def make_card(data: ExportData, proposal: Proposal, section_id: Optional[int],
              votes: tuple[int, int], participants: int, answer: str = "none") -> Card:
    for_, against = votes
    share = len(data.supporters.get(proposal.id, ())) / participants if participants else 0.0
    author = proposal.author
    return Card(proposal=proposal, section_id=section_id, for_=for_, against=against,
                contested=contested(share, for_, against),
                library=author.public_affiliation if author else "",
                search=fold_search(f"{proposal.title} {proposal.body}"), answer=answer)


def board_for(event: Event, track: Track, filters: Filters = Filters()) -> Board:
    """The board of one track, read with the draft's own fixed set of queries."""
    data = load_export_data(event, track)
    votes = stances(data.comments)
    participants = data.track_supporters(track.id)
    views = section_views(data, track)
    answers = answers_for(p.id for view in views for p in view.items)
    columns = []
    for view in views:
        section_id = view.section.id if view.section else None
        cards = [make_card(data, p, section_id, votes.get(p.id, (0, 0)), participants,
                           answers[p.id].state.value if p.id in answers else "none")
                 for p in view.items]
        for card in cards:
            card.shown = matches(card, filters)
        columns.append(Column(view=view, cards=cards))
    return Board(event=event, track=track, columns=columns,
                 run_id=latest_grouping(track) or 0, filters=filters,
                 titles={s.id: s.title for s in data.sections})
