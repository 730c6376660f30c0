"""Route × role table of the job routes (cancel a run, the prepared DOCX): the exact answer
each kind of visitor gets, on the world of tests/test_roles.py."""
import pytest

from strategy.extensions import db
from strategy.jobs import operations as job_ops
from strategy.jobs.models import ExportJob, JobStatus
from tests.test_roles import ROLES, SIGN_IN, expect, sign_in, world  # noqa: F401  (fixture)

M = "/events/{e}/manage"
TABLE = {
    ("jobs.export_job", "/events/<int:event_id>/manage/export/jobs/<int:job_id>"):
        ("GET", M + "/export/jobs/{x}", None, expect("organiser", 200)),
    ("jobs.export_file", "/events/<int:event_id>/manage/export/jobs/<int:job_id>/file"):
        ("GET", M + "/export/jobs/{x}/file", None, expect("organiser", 200)),
    ("jobs.cancel_export", "/events/<int:event_id>/manage/export/jobs/<int:job_id>/cancel"):
        ("POST", M + "/export/jobs/{x}/cancel", {}, expect("organiser", 302)),
    ("jobs.cancel_run", "/events/<int:event_id>/manage/workspace/runs/<int:run_id>/cancel"):
        ("POST", M + "/workspace/runs/{run}/cancel", {}, expect("organiser", 302)),
    ("jobs.prepare_docx", "/events/<int:event_id>/manage/export/strategy.docx/prepare"):
        ("POST", M + "/export/strategy.docx/prepare", {}, expect("organiser", 302)),
}


@pytest.fixture
def jobs_world(app, world, tmp_path):
    app.config["EXPORTS_DIR"] = str(tmp_path / "exports")
    people, ids = world
    path = job_ops.exports_dir() / "1-ready.docx"
    path.write_bytes(b"PK fake docx")
    job = ExportJob(event_id=ids["e"], status=JobStatus.done, progress=100, message="Готово",
                    file_path=path.name, file_name="draft.docx")
    db.session.add(job)
    db.session.commit()
    return people, {**ids, "x": job.id}


@pytest.mark.parametrize("role", ROLES)
def test_job_routes_by_role(app, jobs_world, role):
    people, ids = jobs_world
    client = sign_in(app, role, people)
    problems = []
    for (endpoint, _rule), (method, template, data, expected) in TABLE.items():
        response = client.open(template.format(**ids), method=method, data=data or {})
        got = response.status_code
        if got == 302 and "/login" in response.headers.get("Location", ""):
            got = SIGN_IN
        if got != expected[role]:
            problems.append(f"{endpoint}: {role} got {got}, expected {expected[role]}")
        elif got == 403 and "методическая группа" not in response.get_data(as_text=True) \
                and "другое мероприятие" not in response.get_data(as_text=True) \
                and "нет прав" not in response.get_data(as_text=True):
            problems.append(f"{endpoint}: 403 without a Russian message")
        response.close()
    assert not problems, "\n".join(problems)
