"""Read helpers of the workspace: for its own page, and everything the downloads need from it
(sections, assignments, the edit log and the runs), so export only renders and never reaches
into the workspace's writes."""
from __future__ import annotations

import re
from typing import Optional, Sequence

import sqlalchemy as sa
from sqlalchemy import orm

from strategy.core.templating import count_word
from strategy.core.typography import typograph
from strategy.events.models import Event, Track
from strategy.extensions import db
from strategy.proposals.models import Proposal, ProposalStatus
from strategy.workspace.models import (ClusterRun, DraftSection, RunStatus, SectionAssignment,
                                       SectionEdit)

#: Quotes shown, and a quote's length.
N_QUOTES = 2
#: Key terms shown beside a summary: the grouping ranks them, and past the first few they
#: name single texts' details («керамика», «микрофоны») rather than the section.
N_SHOWN_KEY_TERMS = 5
QUOTE_MAX = 220


def latest_run(event: Event) -> Optional[ClusterRun]:
    return db.session.scalar(sa.select(ClusterRun).where(ClusterRun.event_id == event.id)
                             .order_by(ClusterRun.id.desc()).limit(1))


def track_overview(event: Event) -> dict[int, dict[str, int]]:
    """Per track: published proposals, sections, and published proposals not yet placed."""
    published = dict(db.session.execute(
        sa.select(Proposal.track_id, sa.func.count(Proposal.id))
        .where(Proposal.event_id == event.id, Proposal.status == ProposalStatus.published)
        .group_by(Proposal.track_id)).all())
    sections = dict(db.session.execute(
        sa.select(DraftSection.track_id, sa.func.count(DraftSection.id))
        .where(DraftSection.event_id == event.id).group_by(DraftSection.track_id)).all())
    placed = dict(db.session.execute(
        sa.select(Proposal.track_id, sa.func.count(Proposal.id))
        .join(SectionAssignment, SectionAssignment.proposal_id == Proposal.id)
        .where(Proposal.event_id == event.id, Proposal.status == ProposalStatus.published)
        .group_by(Proposal.track_id)).all())
    return {t.id: {"proposals": published.get(t.id, 0), "sections": sections.get(t.id, 0),
                   "unplaced": published.get(t.id, 0) - placed.get(t.id, 0)}
            for t in event.tracks}


def recent_edits(event: Event, track: Optional[Track] = None, limit: int = 15):
    stmt = (sa.select(SectionEdit).where(SectionEdit.event_id == event.id)
            .options(orm.selectinload(SectionEdit.actor))
            .order_by(SectionEdit.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def section_in_event(event: Event, section_id: int) -> Optional[DraftSection]:
    section = db.session.get(DraftSection, section_id)
    return section if section is not None and section.event_id == event.id else None


def sections_of_tracks(track_ids: Sequence[int]) -> list[DraftSection]:
    """The tracks' sections in draft order («Прочее» last), with who last changed the state."""
    return list(db.session.scalars(
        sa.select(DraftSection).where(DraftSection.track_id.in_(track_ids))
        .options(orm.selectinload(DraftSection.state_changed_by))
        .order_by(DraftSection.is_other, DraftSection.position, DraftSection.id)))


def assignments_of_tracks(track_ids: Sequence[int]) -> list[sa.Row]:
    """(proposal_id, section_id, pinned, representative, score) of every placed proposal."""
    return list(db.session.execute(
        sa.select(SectionAssignment.proposal_id, SectionAssignment.section_id,
                  SectionAssignment.pinned, SectionAssignment.representative,
                  SectionAssignment.score)
        .join(DraftSection, SectionAssignment.section_id == DraftSection.id)
        .where(DraftSection.track_id.in_(track_ids))).all())


def section_summary(section: DraftSection, ranked: list[Proposal]) -> str:
    """A summary a person wrote is kept as written; otherwise one in the third person built
    from what the members share (the section's key terms) and how many there are, never a
    sentence copied from one proposal (those are quotes, see :func:`section_quotes`). The
    members are the current ones (ranked representative first), so a proposal hidden after
    the grouping never shows up in it."""
    if section.summary_edited:
        return section.summary
    return generated_summary(section, ranked)


def generated_summary(section: DraftSection, ranked: list[Proposal]) -> str:
    """The grouping's summary while the members are those it described; otherwise one built
    the same way (:func:`analysis.naming.summarize_texts`: the count and the phrases most of
    the current members mention, in the third person) from the current members' texts."""
    if not ranked:
        return ""
    stored = section.synthesis or {}
    if stored.get("summary") and stored.get("size") == len(ranked):
        return stored["summary"]  # the grouping's summary, while the members are the same
    from analysis.naming import summarize_texts  # loaded on first use (seconds of start-up)

    return typograph(summarize_texts([p.analysis_text for p in ranked]))


def terms_beyond(key_terms: Sequence[str], *shown: str,
                 limit: int = N_SHOWN_KEY_TERMS) -> list[str]:
    """The best ``limit`` key terms that the texts shown beside them (the summary, the
    title) do not already say: «Ключевые слова» add to «Кратко» instead of repeating its
    phrases."""
    said = " ".join(" ".join((text or "").split()) for text in shown).lower().replace("ё", "е")
    return [term for term in key_terms
            if term and term.lower().replace("ё", "е") not in said][:limit]


def section_quotes(ranked: list[Proposal], limit: int = N_QUOTES,
                   section: Optional[DraftSection] = None) -> list[tuple[Proposal, str]]:
    """One or two representative proposals quoted in their authors' words (a sentence or two
    of the text), to be shown as quotes with the author's name after the summary: those the
    grouping chose (still members), else the first of ``ranked``."""
    by_id = {p.id: p for p in ranked}
    stored = [(by_id[q["proposal_id"]], q["text"])
              for q in ((section.synthesis or {}).get("quotes") or [] if section else [])
              if q.get("proposal_id") in by_id and q.get("text")]
    if stored:
        return stored[:limit]
    quotes = []
    for proposal in ranked:
        text = quote_of(proposal.body)
        if text:
            quotes.append((proposal, text))
        if len(quotes) == limit:
            break
    return quotes


def quote_of(text: str) -> str:
    """Whole sentences of a text up to QUOTE_MAX characters; else its start, cut at a word."""
    sentences = re.split(r"(?<=[.!?…])\s+", " ".join((text or "").split()))
    quote = ""
    for sentence in sentences:
        if quote and len(quote) + len(sentence) + 1 > QUOTE_MAX:
            break
        quote = f"{quote} {sentence}".strip()
    if len(quote) > QUOTE_MAX:
        quote = quote[:QUOTE_MAX].rsplit(" ", 1)[0].rstrip(",;:—-") + "…"
    return quote


#: Sections above this many proposals show their subtopics (the analysis' threshold).
SUBTOPICS_ABOVE = 12


def section_subtopics(section: Optional[DraftSection],
                      ranked: list[Proposal]) -> list[tuple[str, list[Proposal]]]:
    """One level of subtopics of a large section, each with its current members (in the
    order of ``ranked``); [] for a small section or when fewer than two parts remain."""
    if section is None or len(ranked) <= SUBTOPICS_ABOVE:
        return []
    position = {p.id: i for i, p in enumerate(ranked)}
    parts = []
    for part in (section.synthesis or {}).get("subtopics") or []:
        members = sorted((ranked[position[i]] for i in part.get("proposal_ids", [])
                          if i in position), key=lambda p: position[p.id])
        if members and part.get("title"):
            parts.append((part["title"], members))
    return parts if len(parts) >= 2 else []


def cross_references(sections: Sequence[DraftSection],
                     section_of: dict[int, int]) -> list[tuple[int, int, int]]:
    """(proposal id, its section id, the other section id) for every proposal that fits a
    second section of its track about as well («см. также»), as far as it still holds: the
    proposal is still in its section and the other section still exists in the same track."""
    track_of = {s.id: s.track_id for s in sections}
    found = []
    for section in sections:
        for key, other in ((section.synthesis or {}).get("see_also") or {}).items():
            try:
                proposal_id = int(key)
            except (TypeError, ValueError):
                continue
            if (section_of.get(proposal_id) == section.id and other != section.id
                    and track_of.get(other) == section.track_id):
                found.append((proposal_id, section.id, other))
    return found


def other_reason(section: Optional[DraftSection]) -> str:
    """Why the texts of «Прочее» are there, as the grouping said ("" elsewhere)."""
    if section is None or not section.is_other:
        return ""
    return (section.synthesis or {}).get("reason") or ""


def edit_log(event: Event) -> list[SectionEdit]:
    """Every edit of the event's draft, oldest first."""
    return list(db.session.scalars(sa.select(SectionEdit).where(SectionEdit.event_id == event.id)
                                   .order_by(SectionEdit.id)))


def run_counts(run: ClusterRun) -> tuple[str, str]:
    """What a grouping run placed, in words: («23 предложения», «3 раздела»)."""
    return (count_word(run.n_proposals, "предложение", "предложения", "предложений", "proposal",
                       "proposals"),
            count_word(run.n_sections, "раздел", "раздела", "разделов", "section", "sections"))


def finished_runs(event: Event) -> list[ClusterRun]:
    """The event's grouping runs that finished, oldest first."""
    return list(db.session.scalars(sa.select(ClusterRun).where(
        ClusterRun.event_id == event.id, ClusterRun.status == RunStatus.done)
        .order_by(ClusterRun.id)))


# --------------------------------------------------------------------------- the board


def latest_grouping(track: Track) -> Optional[int]:
    """The newest finished run that grouped this track: the arrangement a board is drawn from.
    A board that saw another one is out of date (the grouping re-ran meanwhile)."""
    return db.session.scalar(sa.select(sa.func.max(ClusterRun.id)).where(
        ClusterRun.event_id == track.event_id, ClusterRun.status == RunStatus.done,
        sa.or_(ClusterRun.track_id == track.id, ClusterRun.track_id.is_(None))))


def placements(proposal_ids, lock: bool = False) -> dict[int, SectionAssignment]:
    """Where each of these proposals is now (absent: in no section). With ``lock`` the rows
    stay locked until the commit (PostgreSQL), so of two people moving the same card at the
    same moment the second sees the first one's move and is told, instead of overwriting it."""
    ids = sorted(proposal_ids)
    if not ids:
        return {}
    stmt = sa.select(SectionAssignment).where(SectionAssignment.proposal_id.in_(ids))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return {a.proposal_id: a for a in db.session.scalars(stmt)}


def edit_track_id(edit: SectionEdit) -> Optional[int]:
    """The track an edit belongs to (older entries only know it through their section)."""
    track_id = (edit.details or {}).get("track_id")
    if track_id is None and edit.section is not None:
        track_id = edit.section.track_id
    return track_id


def own_edits(track: Track, actor_id: int, actions, limit: int = 200) -> list[SectionEdit]:
    """A person's latest edits of a track's sections, newest first."""
    stmt = (sa.select(SectionEdit).where(SectionEdit.event_id == track.event_id,
                                         SectionEdit.actor_id == actor_id,
                                         SectionEdit.action.in_(list(actions)))
            .order_by(SectionEdit.id.desc()).limit(limit))
    return [e for e in db.session.scalars(stmt) if edit_track_id(e) == track.id]


def regrouped_after(track: Track, edit_id: int) -> bool:
    """Did the grouping re-run on this track after the given edit?"""
    runs = db.session.scalars(sa.select(SectionEdit).where(
        SectionEdit.event_id == track.event_id, SectionEdit.action == "run",
        SectionEdit.id > edit_id))
    return any((run.details or {}).get("track") == track.slug for run in runs)
