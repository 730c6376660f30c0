"""Reads of the draft review for its own pages, the API, the workspace and the downloads."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.discussion.models import (DraftReview, PublishedSection, SectionComment,
                                    SectionCommentStatus, SectionSupport)


def review_of(event: Event) -> Optional[DraftReview]:
    return db.session.scalar(sa.select(DraftReview).where(DraftReview.event_id == event.id))


def published_section(event: Event, section_id: int) -> Optional[PublishedSection]:
    section = db.session.get(PublishedSection, section_id)
    return section if section is not None and section.event_id == event.id else None


def section_comment(event: Event, comment_id: int) -> Optional[SectionComment]:
    comment = db.session.get(SectionComment, comment_id)
    if comment is None or comment.section.event_id != event.id:
        return None
    return comment


def supported_sections(user, review: DraftReview) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.scalars(
        sa.select(SectionSupport.published_section_id)
        .join(PublishedSection, PublishedSection.id == SectionSupport.published_section_id)
        .where(SectionSupport.user_id == user.id, PublishedSection.review_id == review.id)))


@dataclass
class TrackDraft:
    track: Track
    sections: list[PublishedSection] = field(default_factory=list)


def draft_by_track(review: DraftReview) -> list[TrackDraft]:
    """The published sections grouped by track, in the tracks' order."""
    groups: dict[int, TrackDraft] = {}
    for section in review.visible_sections:
        groups.setdefault(section.track_id, TrackDraft(section.track)).sections.append(section)
    return sorted(groups.values(), key=lambda g: (g.track.position, g.track.id))


def section_proposals(sections: list[PublishedSection]) -> dict[int, list[Proposal]]:
    """Per published section: its proposals that are still published, in the snapshot's order
    (titles and support counts are today's)."""
    ids = {pid for s in sections for pid in (s.proposal_ids or [])}
    found = {p.id: p for p in db.session.scalars(sa.select(Proposal).where(
        Proposal.id.in_(ids), Proposal.status == ProposalStatus.published))} if ids else {}
    return {s.id: [found[pid] for pid in (s.proposal_ids or []) if pid in found]
            for s in sections}


def stance_counts(section: PublishedSection) -> dict[str, int]:
    return section.stance_counts()


def queued_section_comments(track_ids: list[int]) -> list[SectionComment]:
    """Section comments waiting for a look (the moderation queue): pending ones and published
    ones with open flags, in these tracks."""
    if not track_ids:
        return []
    return list(db.session.scalars(
        sa.select(SectionComment).join(PublishedSection)
        .where(PublishedSection.track_id.in_(track_ids),
               sa.or_(SectionComment.status == SectionCommentStatus.pending,
                      sa.and_(SectionComment.status == SectionCommentStatus.published,
                              SectionComment.flag_count > 0)))
        .options(orm.selectinload(SectionComment.author))
        .order_by(SectionComment.id.desc()).limit(50)))


def comments_by_workspace_section(event: Event) -> dict[int, list[SectionComment]]:
    """The review's published comments keyed by the workspace's section id, for the
    workspace page and the board (hidden and waiting ones are the moderation queue's)."""
    rows = db.session.scalars(
        sa.select(SectionComment).join(PublishedSection)
        .where(PublishedSection.event_id == event.id, PublishedSection.section_id.is_not(None),
               SectionComment.status == SectionCommentStatus.published)
        .options(orm.selectinload(SectionComment.author))
        .order_by(SectionComment.id))
    result: dict[int, list[SectionComment]] = {}
    for comment in rows:
        result.setdefault(comment.section.section_id, []).append(comment)
    return result


def published_by_workspace_section(event: Event) -> dict[int, PublishedSection]:
    review = review_of(event)
    if review is None:
        return {}
    return {s.section_id: s for s in review.visible_sections if s.section_id is not None}


def discussion_for_export(event: Event) -> Optional[DraftReview]:
    """The review the DOCX reports on (None when the draft was never published)."""
    return review_of(event)
