"""Cancelling a grouping run, and the DOCX prepared by the worker («скачать, когда готово»).

URL rules (under /events/<id>/manage):
  POST '/workspace/runs/<run_id>/cancel'   jobs.cancel_run      «Отменить» on the run panel
  POST '/export/strategy.docx/prepare'     jobs.prepare_docx    ?track=, agreed=1: queue the DOCX
  GET  '/export/jobs/<job_id>'             jobs.export_job      «Готовится…», then the link (JSON
                                                                for fetch())
  GET  '/export/jobs/<job_id>/file'        jobs.export_file     the prepared file
  POST '/export/jobs/<job_id>/cancel'      jobs.cancel_export
The direct download (export.docx) stays for small events and tests.
"""
from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from strategy.core.errors import OperationError, wants_json
from strategy.core.loading import load_event, load_track
from strategy.core.permissions import organiser_required
from strategy.extensions import db
from strategy.jobs import bp
from strategy.jobs import operations as ops
from strategy.jobs import queue
from strategy.jobs.models import ExportJob
from strategy.jobs.tasks import submit_export
from strategy.workspace.models import ClusterRun

PREFIX = "/events/<int:event_id>/manage"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.route(PREFIX + "/workspace/runs/<int:run_id>/cancel", methods=["POST"])
@organiser_required
def cancel_run(event_id: int, run_id: int):
    event = load_event(event_id)
    run = db.session.get(ClusterRun, run_id)
    if run is None or run.event_id != event.id:
        abort(404)
    slug = run.track.slug if run.track else None
    try:
        ops.cancel_run(run, current_user)
    except OperationError as error:
        if wants_json():
            return jsonify({"success": False, "message": error.message}), error.status
        flash(error.message, "error")
    else:
        queue.stop("run", run_id)
        if wants_json():
            return jsonify({"success": True, "data": {"id": run.id, "status": run.status.value,
                                                      "message": run.message}})
        flash(_("Группировка отменена."), "info")
    return redirect(url_for("workspace.index", event_id=event.id, track=slug))


def load_export(event, job_id: int) -> ExportJob:
    job = db.session.get(ExportJob, job_id)
    if job is None or job.event_id != event.id:
        abort(404)
    return job


def export_to_dict(job: ExportJob) -> dict:
    ready = ops.export_file(job) is not None
    return {"id": job.id, "status": job.status.value, "status_label": job.status.label,
            "progress": job.progress, "message": job.message, "active": job.status.active,
            "file_url": url_for("jobs.export_file", event_id=job.event_id, job_id=job.id)
            if ready else None}


@bp.route(PREFIX + "/export/strategy.docx/prepare", methods=["POST"])
@organiser_required
def prepare_docx(event_id: int):
    event = load_event(event_id)
    slug = request.form.get("track", "")
    track = load_track(event, slug) if slug else None
    job = ops.start_export(event, track, request.form.get("agreed") == "1", current_user)
    submit_export(job.id)
    page = url_for("jobs.export_job", event_id=event.id, job_id=job.id)
    if wants_json():
        db.session.refresh(job)
        return jsonify({"success": True, "data": export_to_dict(job),
                        "meta": {"status_url": page}}), 202
    return redirect(page)


@bp.route(PREFIX + "/export/jobs/<int:job_id>")
@organiser_required
def export_job(event_id: int, job_id: int):
    event = load_event(event_id)
    job = load_export(event, job_id)
    if wants_json():
        return jsonify({"success": True, "data": export_to_dict(job)})
    return render_template("jobs/export_job.html", event=event, job=job,
                           ready=ops.export_file(job) is not None)


@bp.route(PREFIX + "/export/jobs/<int:job_id>/file")
@organiser_required
def export_file(event_id: int, job_id: int):
    event = load_event(event_id)
    job = load_export(event, job_id)
    path = ops.export_file(job)
    if path is None:
        return render_template("jobs/export_job.html", event=event, job=job, ready=False,
                               gone=not job.status.active), 409 if job.status.active else 410
    response = send_file(path, mimetype=DOCX_MIME, as_attachment=True,
                         download_name=job.file_name or path.name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route(PREFIX + "/export/jobs/<int:job_id>/cancel", methods=["POST"])
@organiser_required
def cancel_export(event_id: int, job_id: int):
    event = load_event(event_id)
    job = load_export(event, job_id)
    try:
        ops.cancel_export(job, current_user)
    except OperationError as error:
        flash(error.message, "error")
    else:
        queue.stop("export", job.id)
        flash(_("Подготовка файла отменена."), "info")
    return redirect(url_for("jobs.export_job", event_id=event.id, job_id=job.id))
