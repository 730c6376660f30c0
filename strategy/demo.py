"""The demo workshop of PRODUCT.md, built through the same operations the screens use."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from strategy import demo_content as content
from strategy.auth.models import Role, User
from strategy.auth.operations import create_user, join_event
from strategy.comments.operations import add_comment
from strategy.events.models import Event, ItemFormat, ScheduleItem, Track
from strategy.extensions import db
from strategy.notifications.models import Notification
from strategy.supports.models import Support
from strategy.polls.operations import PollData, answer_poll, close_poll, create_poll, open_poll
from strategy.programme.operations import record_outcome, register
from strategy.proposals.operations import create_proposal, join_project
from strategy.review.models import default_criteria
from strategy.review.operations import give_answer, save_assessment
from strategy.supports.operations import add_support
from strategy.discussion.operations import comment_section, publish_draft, support_section
from strategy.workspace.models import DraftSection, RunStatus, SectionAssignment
from strategy.workspace.operations import (execute_run, merge_sections, move_proposal,
                                           rename_section, set_locked, set_state, split_off,
                                           start_run)

DEMO_ORGANISER = {"email": "metod@strategy.demo", "name": "Ольга Методическая",
                  "role": Role.organiser}
DEMO_FACILITATOR = {"email": "moderator@strategy.demo", "name": "Андрей Модератор",
                    "role": Role.facilitator}
#: The second member of the methodical group: she checks and agrees the sections.
DEMO_EDITOR = {"email": "redaktor@strategy.demo", "name": "Марина Редакторова",
               "role": Role.organiser}
DEMO_EXPERT = {"email": content.EXPERTS[0][1], "name": content.EXPERTS[0][0],
               "role": Role.expert}


UNREAD_PER_PERSON = 3


def local_to_utc(day: datetime, hhmm: str, tz: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def create_event_with_tracks() -> Event:
    event = Event(**content.EVENT)
    db.session.add(event)
    db.session.flush()
    for position, spec in enumerate(content.TRACKS):
        db.session.add(Track(event_id=event.id, position=position, **spec))
    db.session.flush()
    tracks = {t.slug: t for t in event.tracks}
    for item in content.SCHEDULE:
        day = event.starts_on + timedelta(days=item["day"] - 1)
        track = tracks.get(item["track"]) if item.get("track") else None
        settings = dict(content.PROGRAMME_SETTINGS.get(item["title"], {}))
        settings["format"] = ItemFormat(settings.get("format", "hybrid" if item.get(
            "online_url") else "hall"))
        db.session.add(ScheduleItem(
            event_id=event.id, track_id=track.id if track else None, title=item["title"],
            description=item.get("description", ""), place=item.get("place", ""),
            online_url=item.get("online_url", ""),
            starts_at=local_to_utc(day, item["start"], event.timezone),
            ends_at=local_to_utc(day, item["end"], event.timezone) if item.get("end") else None,
            **settings))
    db.session.commit()
    return event


def seed_demo(password: str = "demo-strategy-2026") -> Event:  # nosec B107: demo accounts only
    """Create the demo event with staff, participants, proposals, supports, comments, joins."""
    event = create_event_with_tracks()
    # The methodical group belongs to the whole installation (it creates next year's events);
    # the facilitator to this event.
    create_user(display_name=DEMO_ORGANISER["name"], role=DEMO_ORGANISER["role"],
                email=DEMO_ORGANISER["email"], password=password)
    create_user(display_name=DEMO_EDITOR["name"], role=DEMO_EDITOR["role"],
                email=DEMO_EDITOR["email"], password=password)
    create_user(display_name=DEMO_FACILITATOR["name"], role=DEMO_FACILITATOR["role"],
                email=DEMO_FACILITATOR["email"], password=password, event=event)
    people = [join_event(event, display_name=p["name"], library=p["library"],
                         municipality=p["municipality"],
                         consent_public_affiliation=p.get("consent", True))[0]
              for p in content.PARTICIPANTS]
    tracks = {t.slug: t for t in event.tracks}
    proposals = [create_proposal(tracks[spec["track"]], people[spec["author"]], spec,
                                 source="app", check_phase=False)
                 for spec in content.PROPOSALS]
    for index, supporters in content.SUPPORTS:
        for person in supporters:
            add_support(proposals[index], people[person])
    comments = []
    for spec in content.COMMENTS:
        parent = comments[spec["reply_to"]] if spec.get("reply_to") is not None else None
        comments.append(add_comment(proposals[spec["proposal"]], people[spec["author"]],
                                    spec["body"], stance=spec.get("stance"), parent=parent))
    for index, person, note in content.JOINS:
        join_project(proposals[index], people[person], library=people[person].library,
                     municipality=people[person].municipality, note=note)
    spread_over_workshop_days(event, proposals, comments)
    add_registrations_and_outcomes(event, people, proposals)
    add_assessments_and_answers(event, proposals, password)
    add_polls(event, people)
    date_notifications(event)
    add_published_draft(event, people, proposals)
    return event


def add_assessments_and_answers(event: Event, proposals, password: str) -> None:
    """Two experts of chosen tracks with their assessments; official answers in four states."""
    tracks = {t.slug: t for t in event.tracks}
    experts = []
    for name, email, slugs in content.EXPERTS:
        expert, _code = create_user(display_name=name, role=Role.expert, email=email,
                                    password=password, event=event)
        expert.facilitated_tracks = [tracks[slug] for slug in slugs]
        db.session.commit()
        experts.append(expert)
    keys = [c["key"] for c in default_criteria()]
    for index, expert, scores, recommendation in content.ASSESSMENTS:
        save_assessment(proposals[index], experts[expert], dict(zip(keys, scores)),
                        recommendation)
    organiser = db.session.scalar(sa.select(User).where(User.email == DEMO_ORGANISER["email"]))
    for index, state, text in content.ANSWERS:
        give_answer(proposals[index], organiser, state, text)


def add_published_draft(event: Event, people, proposals) -> None:
    """The draft as it really came about: the grouping run over every track (what the
    workspace's «Сгруппировать» does, here in-process), the methodical group's edits through
    the workspace's operations, a second run of the track it reworked, agreed sections
    published for discussion, with section supports and comments given through the review's
    operations. The method note of the DOCX counts exactly these runs and edits."""
    organiser = db.session.scalar(sa.select(User).where(User.email == DEMO_ORGANISER["email"]))
    group(event, None, organiser)
    work = content.GROUP_WORK
    for source, target in work["merge"]:
        if section_of(proposals[source]) != section_of(proposals[target]):
            merge_sections(section_of(proposals[source]), section_of(proposals[target]),
                           organiser)
    for index, anchor in work["move"]:
        if section_of(proposals[index]) != section_of(proposals[anchor]):
            move_proposal(proposals[index], section_of(proposals[anchor]), organiser)
    tracks = {t.slug: t for t in event.tracks}
    for indices, title in work["split"]:
        chosen = [proposals[i] for i in indices]
        split_off(chosen[0].track, organiser, chosen, title)
    for slug in work["rerun"]:
        group(event, tracks[slug], organiser)
    renamed: set[int] = set()
    for anchor, title in work["rename"]:
        section = section_of(proposals[anchor])
        if section.id not in renamed and section.title != title:
            rename_section(section, organiser, title)
        renamed.add(section.id)
    editor = db.session.scalar(sa.select(User).where(User.email == DEMO_EDITOR["email"]))
    for anchor in work["lock"]:
        set_locked(section_of(proposals[anchor]), editor, True)
    for state in ("review", "agreed"):
        for anchor in work[state]:
            set_state(section_of(proposals[anchor]), editor, state)
    review = publish_draft(event, organiser, scope="agreed")
    published = {s.section_id: s for s in review.visible_sections}
    for anchor, supporters in content.DRAFT_SUPPORTS:
        for person in supporters:
            support_section(published[section_of(proposals[anchor]).id], people[person])
    for anchor, person, stance, body in content.DRAFT_COMMENTS:
        comment_section(published[section_of(proposals[anchor]).id], people[person], body,
                        stance)


def group(event: Event, track, organiser: User) -> None:
    """One grouping run, as the workspace's button starts it, done synchronously."""
    run = execute_run(start_run(event, track, organiser).id)
    if run.status is not RunStatus.done:
        raise RuntimeError(f"demo grouping failed: {run.message}")


def section_of(proposal) -> DraftSection:
    """The draft section a proposal is in now (after the runs and edits so far)."""
    return db.session.scalars(sa.select(DraftSection).join(SectionAssignment).where(
        SectionAssignment.proposal_id == proposal.id)).one()


def add_registrations_and_outcomes(event: Event, people, proposals) -> None:
    """Registrations (one session full, with a waiting list) and one finished session."""
    items = {item.title: item for item in event.schedule}
    for title, indices, seat in content.REGISTRATIONS:
        for index in indices:
            register(items[title], people[index], seat)
    organiser = db.session.scalar(sa.select(User).where(User.email == DEMO_ORGANISER["email"]))
    for spec in content.OUTCOMES:
        record_outcome(items[spec["title"]], organiser, attended_hall=spec["attended_hall"],
                       attended_online=spec["attended_online"], outcome=spec["outcome"],
                       proposal_ids=[proposals[i].id for i in spec["proposals"]])


def spread_over_workshop_days(event: Event, proposals, comments) -> None:
    """Give demo proposals, comments and supports times across the three workshop days, so the
    screens and the activity charts look like the real thing."""
    start = local_to_utc(event.starts_on, "10:00", event.timezone)
    for index, proposal in enumerate(proposals):
        day = index % 3
        proposal.created_at = start + timedelta(days=day, minutes=17 * index % 420)
        proposal.updated_at = proposal.created_at
    for index, comment in enumerate(comments):
        if comment.parent is not None:  # a reply comes after what it answers
            comment.created_at = comment.parent.created_at + timedelta(minutes=6 + index % 50)
        else:
            comment.created_at = comment.proposal.created_at + timedelta(
                minutes=25 + 11 * index % 240)
        comment.updated_at = comment.created_at
    supports = db.session.scalars(sa.select(Support).order_by(Support.id))
    for index, support in enumerate(supports):
        support.created_at = support.proposal.created_at + timedelta(minutes=5 + 7 * index % 300)
    db.session.commit()


# A finished poll of the social-hub track (answered by the demo participants) and a draft
# word cloud for the whole event, ready to open in the hall.
DEMO_POLL_OPTIONS = ["Настольные игры и клубы", "Кибертурниры", "Лекции и встречи с авторами",
                     "Мастерские и кружки"]
DEMO_POLL_CHOICES = [0, 0, 1, 3, 0, 2, 3, 0, 1, 0, 3, 2, 0, 3]


def add_polls(event: Event, people) -> None:
    organiser = db.session.scalar(sa.select(User).where(User.email == DEMO_ORGANISER["email"]))
    finished = create_poll(event, organiser, PollData(
        question="Что привлечёт подростков в библиотеку в первую очередь?", kind="single",
        track="social-hub", options=DEMO_POLL_OPTIONS))
    open_poll(finished, organiser)
    for person, choice in zip(people, DEMO_POLL_CHOICES):
        answer_poll(finished, person, options=[finished.options[choice].id])
    close_poll(finished, organiser)
    create_poll(event, organiser, PollData(
        question="Одним словом: какой должна стать библиотека области к 2030 году?",
        kind="words"))
def date_notifications(event: Event, unread: int = UNREAD_PER_PERSON) -> None:
    """The comments above told the proposals' authors (notify() ran inside add_comment): give
    each notification its comment's time, and leave each person's newest few unread, so a
    participant (Ирина Соколова has the most) opens «Уведомления» to a realistic list."""
    notes = list(db.session.scalars(sa.select(Notification).where(
        Notification.event_id == event.id)))
    for note in notes:
        if note.comment is not None:
            note.created_at = note.updated_at = note.comment.created_at
    by_person: dict[int, list[Notification]] = {}
    for note in sorted(notes, key=lambda n: n.created_at, reverse=True):
        by_person.setdefault(note.user_id, []).append(note)
    for mine in by_person.values():
        for note in mine[unread:]:
            note.read_at = note.created_at + timedelta(hours=1)
    db.session.commit()
