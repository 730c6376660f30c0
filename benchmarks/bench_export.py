"""Time to build the downloads for a big workshop: 5,000 proposals in 4 tracks, 40 sections,
300 participants, 30,000 supports and 5,000 comments with stances, on a fresh SQLite file.

Prints one JSON line per figure: {"figure", "value", "baseline", "ratio", "unit"}, with a
baseline measured in the same run on the same machine (ratio = value / baseline):
- docx_job: the same draft as the worker's job (progress rows, file on disk) against
  build_docx in the request, measured in the same run.
- docx: the draft against plain python-docx writing the same paragraphs (same styles, same
  runs, bold and italic) with its ordinary API; a second line gives the same paragraphs as
  one WordprocessingML string, the floor of any writer. Issue 12's target is < 5 s.
- xlsx: the workbook against plain openpyxl appending the same cell values.
- json: the file against json.dumps of the same document.
Each figure is the median of --repeat runs. Run: python -m benchmarks.bench_export
[--proposals N] [--repeat N]"""
import argparse
import io
import json
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

#: Issue 12: the DOCX of 5,000 proposals within 5 s.
DOCX_TARGET_SECONDS = 5.0
PARTNERS = ["Совет ветеранов", "совет ветеранов", "ОГУНБ", "МФЦ", "Центр «Мой бизнес»",
            "центр \"Мой бизнес\"", "Администрация района", "школы", "Школы", "районная газета",
            "Районный музей", "Дом культуры", "Молодёжный центр", "ТЮЗ им. А. Вампилова"]
WORDS = ("библиотека краеведение клуб подростки пенсионеры цифровая грамотность волонтёры "
         "проект грант маршрут музей архив фольклор коворкинг семья резиденция писатель "
         "чтение книга село район центр сообщество мастер ремесло экскурсия игра").split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def seed(n_proposals: int, rng: random.Random) -> int:
    """Bulk rows through SQL: the figure is about the export, not about seeding."""
    from strategy.auth.models import Role, User
    from strategy.comments.models import Comment, CommentStatus, Stance
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
         "kind": ProposalKind.idea, "expected_result": sentence(rng, 8),
         "partners": ", ".join(rng.sample(PARTNERS, rng.randint(0, 3))),
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
    stances = [Stance.for_, Stance.against, Stance.neutral, None]
    db.session.execute(sa.insert(Comment), [
        {"proposal_id": rng.choice(proposals).id, "author_id": rng.choice(users),
         "body": sentence(rng, 10), "stance": rng.choice(stances),
         "status": CommentStatus.published, "hidden_reason": "", "flag_count": 0,
         "created_at": now, "updated_at": now} for _ in range(n_proposals)])
    db.session.execute(sa.text(
        "UPDATE proposals SET support_count = (SELECT count(*) FROM supports "
        "WHERE supports.proposal_id = proposals.id), comment_count = (SELECT count(*) FROM "
        "comments WHERE comments.proposal_id = proposals.id)"))
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


def figure(name: str, value: float, baseline, unit: str = "s", **extra) -> None:
    ratio = round(value / baseline, 3) if baseline else None
    print(json.dumps({"figure": name, "value": round(value, 3),
                      "baseline": round(baseline, 3) if baseline else baseline,
                      "ratio": ratio, "unit": unit, **extra}, ensure_ascii=False))


CPU: dict[str, float] = {}


def timed(build, repeat: int, name: str = ""):
    """Median wall seconds of ``repeat`` calls, and the last result; the median CPU seconds
    go to CPU[name] (on a shared machine the wall time also counts the neighbours)."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = build()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    CPU[name] = statistics.median(cpu)
    return statistics.median(times), result


def cpu_ratio(name: str, baseline: str) -> dict:
    return {"cpu_seconds": round(CPU[name], 3), "cpu_baseline": round(CPU[baseline], 3),
            "cpu_ratio": round(CPU[name] / CPU[baseline], 3) if CPU[baseline] else None}


def paragraphs_of(content: bytes) -> list[tuple[str, list[tuple[str, bool, bool]]]]:
    """(style, runs) of every body paragraph of a DOCX: what the baselines write again."""
    from docx import Document

    return [(p.style.name, [(r.text, bool(r.bold), bool(r.italic)) for r in p.runs])
            for p in Document(io.BytesIO(content)).paragraphs]


def plain_python_docx(paragraphs) -> bytes:
    """The same paragraphs through python-docx's ordinary API."""
    from docx import Document

    document = Document()
    for style, runs in paragraphs:
        paragraph = document.add_paragraph(style=style)
        for text, bold, italic in runs:
            run = paragraph.add_run(text)
            run.bold, run.italic = bold or None, italic or None
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def one_xml_string(paragraphs) -> bytes:
    """The same paragraphs as one WordprocessingML string put into python-docx's template."""
    from docx import Document

    from strategy.export.wordml import ParagraphBuffer, Run

    document = Document()
    buffer = ParagraphBuffer(document)
    for style, runs in paragraphs:
        buffer.add([Run(text, bold, italic) for text, bold, italic in runs], style)
    buffer.flush_into()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def plain_openpyxl(content: bytes) -> bytes:
    """The same cell values appended to a plain openpyxl workbook."""
    import openpyxl

    source = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    sheets = [(ws.title, list(ws.iter_rows(values_only=True))) for ws in source.worksheets]

    def write() -> bytes:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for title, rows in sheets:
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    return write


def docx_job(fresh, repeat: int) -> float:
    """Median seconds of the DOCX job as `flask worker` runs it (strategy.jobs.tasks →
    operations.build_export), from the queued row to the file on disk, in this process."""
    from strategy.auth.models import Role, User
    from strategy.auth.operations import create_user
    from strategy.extensions import db
    from strategy.jobs import operations as job_ops
    from strategy.jobs.models import JobStatus

    organiser_id = create_user(display_name="Методист", role=Role.organiser,
                               email="bench-metod@example.org")[0].id

    def one():
        event = fresh()
        job = job_ops.start_export(event, None, False, db.session.get(User, organiser_id))
        done = job_ops.build_export(job.id)
        assert done.status is JobStatus.done, done.message
        return done

    seconds, _job = timed(one, repeat, "docx_job")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args, _ = parser.parse_known_args()
    from strategy import create_app
    from strategy.events.models import Event
    from strategy.export.docx import build_docx
    from strategy.export.drafts import load_export_data
    from strategy.export.tabular import build_json
    from strategy.export.xlsx import build_xlsx
    from strategy.extensions import db

    n, repeat = args.proposals, args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
                          "SECRET_KEY": "bench", "TESTING": True,
                          "EXPORTS_DIR": str(Path(tmp) / "exports")})
        with app.app_context(), app.test_request_context():
            db.create_all()
            event_id = seed(n, random.Random(0))

            def fresh():
                db.session.expunge_all()
                return db.session.get(Event, event_id)

            load, _data = timed(lambda: load_export_data(fresh()), repeat, "load")
            figure(f"export_load_{n}_seconds", load, None, note="read once per download",
                   cpu_seconds=round(CPU["load"], 3))
            docx_seconds, content = timed(lambda: build_docx(fresh()), repeat, "docx")
            paragraphs = paragraphs_of(content)
            # python-docx's own API is quadratic in the paragraphs: measured once, not repeated
            plain, _ = timed(lambda: plain_python_docx(paragraphs), 1, "plain")
            floor, _ = timed(lambda: one_xml_string(paragraphs), repeat, "floor")
            figure(f"docx_{n}_seconds", docx_seconds, plain, target=DOCX_TARGET_SECONDS,
                   baseline_is="plain python-docx, same paragraphs",
                   paragraphs=len(paragraphs), **cpu_ratio("docx", "plain"))
            figure(f"docx_{n}_vs_one_xml_string_seconds", docx_seconds, floor,
                   baseline_is="the same paragraphs as one WordprocessingML string (floor)",
                   **cpu_ratio("docx", "floor"))
            figure(f"docx_{n}_megabytes", len(content) / 1e6, None, unit="MB")
            job_seconds = docx_job(fresh, repeat)
            figure(f"docx_job_{n}_seconds", job_seconds, docx_seconds,
                   baseline_is="build_docx in the request (same run)",
                   note="the worker's job function: progress rows, the file into EXPORTS_DIR",
                   target=DOCX_TARGET_SECONDS, **cpu_ratio("docx_job", "docx"))
            xlsx_seconds, workbook = timed(lambda: build_xlsx(fresh()), repeat, "xlsx")
            plain_xlsx, _ = timed(plain_openpyxl(workbook), repeat, "plain_xlsx")
            figure(f"xlsx_{n}_seconds", xlsx_seconds, plain_xlsx,
                   baseline_is="plain openpyxl, same cell values",
                   **cpu_ratio("xlsx", "plain_xlsx"))
            json_seconds, document = timed(lambda: build_json(load_export_data(fresh())),
                                           repeat, "json")
            parsed = json.loads(document)
            plain_json, _ = timed(lambda: json.dumps(parsed, ensure_ascii=False, indent=1)
                                  .encode(), repeat, "plain_json")
            figure(f"json_{n}_seconds", json_seconds, plain_json,
                   baseline_is="json.dumps of the same document",
                   **cpu_ratio("json", "plain_json"))

if __name__ == "__main__":
    main()
