"""Time to build the downloads for a big workshop: 5,000 proposals in 4 tracks, 40 sections,
300 participants and 30,000 supports, on a fresh SQLite file.

Prints one JSON line per figure: {"figure", "value", "baseline", "ratio", "unit"}; the
baselines are targets (the DOCX should be ready within a minute), ratio = value / baseline.
Run: python -m benchmarks.bench_export [--proposals N]"""
import argparse
import json
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

BASELINES = {"docx": 60.0, "xlsx": 30.0, "json": 15.0}
WORDS = ("библиотека краеведение клуб подростки пенсионеры цифровая грамотность волонтёры "
         "проект грант маршрут музей архив фольклор коворкинг семья резиденция писатель "
         "чтение книга село район центр сообщество мастер ремесло экскурсия игра").split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def seed(n_proposals: int, rng: random.Random) -> int:
    """Bulk rows through SQL: the figure is about the export, not about seeding."""
    from strategy.auth.models import Role, User
    from strategy.core.db import utcnow
    from strategy.events.models import Event, Track
    from strategy.extensions import db
    from strategy.proposals.models import Proposal, ProposalKind, ProposalStatus
    from strategy.supports.models import Support
    from strategy.workspace.models import DraftSection, SectionAssignment

    event = Event(slug="bench", title="Стратегия развития библиотек Иркутской области",
                  code="BENCH", starts_on=date(2026, 9, 27), ends_on=date(2026, 9, 29))
    db.session.add(event)
    db.session.flush()
    tracks = [Track(event_id=event.id, slug=f"t{i}", title=f"Трек {i}", position=i)
              for i in range(4)]
    db.session.add_all(tracks)
    db.session.flush()
    now = utcnow()
    db.session.execute(sa.insert(User), [
        {"event_id": event.id, "display_name": f"Участник {i}", "role": Role.participant,
         "library": f"Библиотека {i % 60}", "municipality": f"Район {i % 30}",
         "consent_public_affiliation": i % 5 != 0, "is_muted": False, "created_at": now,
         "updated_at": now} for i in range(300)])
    users = list(db.session.scalars(sa.select(User.id)))
    db.session.execute(sa.insert(Proposal), [
        {"event_id": event.id, "track_id": tracks[i % 4].id, "author_id": users[i % 300],
         "title": sentence(rng, 6)[:200], "body": " ".join(sentence(rng, 14) for _ in range(4)),
         "kind": ProposalKind.idea, "expected_result": sentence(rng, 8), "partners": "",
         "status": ProposalStatus.published, "hidden_reason": "", "is_pinned": False,
         "support_count": 0, "comment_count": rng.randint(0, 4), "join_count": 0,
         "flag_count": 0, "search_text": "", "source": "app",
         "created_at": now - timedelta(minutes=i), "updated_at": now}
        for i in range(n_proposals)])
    proposals = db.session.execute(sa.select(Proposal.id, Proposal.track_id)).all()
    pairs = {(rng.choice(proposals), rng.choice(users)) for _ in range(6 * n_proposals)}
    db.session.execute(sa.insert(Support), [
        {"proposal_id": p.id, "user_id": u, "track_id": p.track_id, "created_at": now,
         "updated_at": now} for p, u in pairs])
    db.session.execute(sa.text(
        "UPDATE proposals SET support_count = (SELECT count(*) FROM supports "
        "WHERE supports.proposal_id = proposals.id)"))
    for track in tracks:
        sections = [DraftSection(event_id=event.id, track_id=track.id, title=sentence(rng, 3),
                                 key_terms=rng.sample(WORDS, 6), summary="", position=k)
                    for k in range(10)]
        db.session.add_all(sections)
        db.session.flush()
        members = [p.id for p in proposals if p.track_id == track.id]
        db.session.execute(sa.insert(SectionAssignment), [
            {"section_id": sections[k % 10].id, "proposal_id": pid, "pinned": False,
             "representative": k < 30, "rank": k, "score": rng.random()}
            for k, pid in enumerate(members)])
    db.session.commit()
    return event.id


def figure(name: str, value: float, unit: str = "s") -> None:
    baseline = BASELINES[name.split("_")[0]]
    print(json.dumps({"figure": name, "value": round(value, 2), "baseline": baseline,
                      "ratio": round(value / baseline, 3), "unit": unit}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--proposals", type=int, default=5000)
    args, _ = parser.parse_known_args()
    from strategy import create_app
    from strategy.events.models import Event
    from strategy.export.docx import build_docx
    from strategy.export.drafts import load_export_data
    from strategy.export.tabular import build_json
    from strategy.export.xlsx import build_xlsx
    from strategy.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
                          "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context(), app.test_request_context():
            db.create_all()
            event_id = seed(args.proposals, random.Random(0))
            db.session.expunge_all()
            n = args.proposals
            for name, build in (("docx", lambda e: build_docx(e)),
                                ("xlsx", lambda e: build_xlsx(e)),
                                ("json", lambda e: build_json(load_export_data(e)))):
                db.session.expunge_all()
                event = db.session.get(Event, event_id)
                started = time.perf_counter()
                content = build(event)
                elapsed = time.perf_counter() - started
                figure(f"{name}_{n}_seconds", elapsed)
                if name == "docx":
                    print(json.dumps({"figure": f"docx_{n}_megabytes",
                                      "value": round(len(content) / 1e6, 2), "baseline": None,
                                      "ratio": None, "unit": "MB"}))


if __name__ == "__main__":
    main()
