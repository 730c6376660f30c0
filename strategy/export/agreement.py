"""How much a proposal or a section is agreed on: supporters as a share of the track's
participants, the stances of the comments (за / против), and a mark for contested proposals.

Plain functions of already-loaded data (no queries, no Flask), so the workspace screens can
show the same figures as the downloads. The denominator is the track's participants who gave
at least one support there: those who took part in supporting, the honest base of a share."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from strategy.comments.models import Comment, CommentStatus, Stance

#: So many objections mark a proposal as contested when they are at least as many as the
#: comments in favour.
MANY_AGAINST = 3
#: A proposal supported by at least this share of the track's participants ...
HIGH_SUPPORT_SHARE = 0.25
#: ... and objected to by at least this many people is contested too: wanted and disputed.
HIGH_AGAINST = 2


@dataclass(frozen=True)
class Stances:
    """People for and against (each person's latest stance counts once)."""

    for_: int = 0
    against: int = 0


@dataclass(frozen=True)
class Agreement:
    supporters: int
    participants: int
    for_: int
    against: int
    contested: bool
    contested_proposals: int = 0  # for a section: how many of its proposals are contested

    @property
    def share(self) -> float:
        """Supporters as a share of the track's participants (0 when nobody took part)."""
        return self.supporters / self.participants if self.participants else 0.0

    @property
    def percent(self) -> int:
        return round(100 * self.share)


def is_contested(share: float, for_: int, against: int) -> bool:
    """Many against, or supports and objections both high."""
    many_against = against >= MANY_AGAINST and against >= for_
    disputed_favourite = share >= HIGH_SUPPORT_SHARE and against >= HIGH_AGAINST
    return many_against or disputed_favourite


def stances_by_proposal(comments: Iterable[Comment]) -> dict[int, Stances]:
    """Published comments' stances per proposal, one per person (the latest they gave), so a
    participant who argues in ten replies is counted once."""
    latest: dict[int, dict[Optional[int], Stance]] = {}
    for comment in sorted(comments, key=lambda c: c.id):
        if comment.status is not CommentStatus.published or comment.stance is None:
            continue
        people = latest.setdefault(comment.proposal_id, {})
        key = comment.author_id if comment.author_id is not None else -comment.id
        people[key] = comment.stance
    return {pid: Stances(for_=sum(s is Stance.for_ for s in people.values()),
                         against=sum(s is Stance.against for s in people.values()))
            for pid, people in latest.items()}


def proposal_agreement(supporters: int, participants: int, stances: Stances) -> Agreement:
    share = supporters / participants if participants else 0.0
    return Agreement(supporters=supporters, participants=participants, for_=stances.for_,
                     against=stances.against,
                     contested=is_contested(share, stances.for_, stances.against))


def section_agreement(supporters: int, participants: int,
                      proposals: Iterable[Agreement]) -> Agreement:
    """A section: distinct supporters of any of its proposals, stances summed, and how many of
    its proposals are contested (the section is marked when any of them is)."""
    items = list(proposals)
    contested = sum(a.contested for a in items)
    return Agreement(supporters=supporters, participants=participants,
                     for_=sum(a.for_ for a in items), against=sum(a.against for a in items),
                     contested=contested > 0, contested_proposals=contested)
