"""Pages of the draft review: «Проект стратегии» for everyone, its support and comment forms
for members, and the methodical group's screen that publishes and closes it.

URL rules:
  GET   /events/<id>/draft                                    draft            public
  POST  /events/<id>/draft/sections/<ps>/support              support          member
  POST  /events/<id>/draft/sections/<ps>/unsupport            unsupport        member
  POST  /events/<id>/draft/sections/<ps>/comments             comment          member
  GET   /events/<id>/manage/draft                             manage           organiser
  POST  /events/<id>/manage/draft/publish                     publish          organiser
  POST  /events/<id>/manage/draft/close                       close            organiser
  POST  /events/<id>/draft/comments/<c>/flag                  flag_comment     member
  POST  /events/<id>/manage/draft/comments/<c>/<action>       moderate_comment staff (track)
        (approve, hide, restore, dismiss-flags)
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from strategy.core.errors import OperationError
from strategy.core.forms import EmptyForm
from strategy.core.loading import load_event
from strategy.core.permissions import organiser_required, staff_required
from strategy.core.templating import register_nav
from strategy.extensions import db
from strategy.moderation.forms import parse_local, to_local_input
from strategy.discussion import bp
from strategy.discussion import operations as ops
from strategy.discussion.forms import PublishForm, SectionCommentForm
from strategy.core.redirects import safe_next
from strategy.core.forms import require_button_form
from strategy.discussion.queries import (draft_by_track, published_section, review_of,
                                     section_comment, section_proposals, stance_counts,
                                     supported_sections)


def nav_items(event, user):
    """«Проект стратегии» once the draft is published; its screen for the organisers."""
    if event is None:
        return []
    items = []
    if review_of(event) is not None:
        items.append({"url": url_for("discussion.draft", event_id=event.id),
                      "label": _("Проект стратегии")})
    if user.can_manage(event):
        items.append({"url": url_for("discussion.manage", event_id=event.id),
                      "label": _("Обсуждение проекта")})
    return items


bp.record_once(lambda state: register_nav(state.app, nav_items))




def load_section(event, section_id: int):
    """A section of the published draft, or a 404 that says why (the API's words)."""
    if review_of(event) is None:
        raise OperationError(_("Проект ещё не опубликован для обсуждения."), 404)
    section = published_section(event, section_id)
    if section is None:
        raise OperationError(_("Раздел проекта не найден."), 404)
    return section


def section_url(event, section) -> str:
    return url_for("discussion.draft", event_id=event.id, _anchor=f"section-{section.id}")


def render_draft(event, *, forms=None, status: int = 200):
    review = review_of(event)
    groups = draft_by_track(review) if review else []
    sections = [s for g in groups for s in g.sections]
    return render_template(
        "discussion/draft.html", event=event, review=review, groups=groups,
        proposals=section_proposals(sections), stances={s.id: stance_counts(s) for s in sections},
        supported=supported_sections(current_user, review) if review else set(),
        forms=forms or {}, new_form=SectionCommentForm), status


@bp.route("/events/<int:event_id>/draft")
def draft(event_id: int):
    return render_draft(load_event(event_id))


@bp.route("/events/<int:event_id>/draft/sections/<int:section_id>/support", methods=["POST"])
@login_required
def support(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    require_button_form()
    ops.support_section(section, current_user)
    flash(_("Вы поддержали раздел."), "success")
    return redirect(section_url(event, section))


@bp.route("/events/<int:event_id>/draft/sections/<int:section_id>/unsupport", methods=["POST"])
@login_required
def unsupport(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    require_button_form()
    ops.withdraw_section_support(section, current_user)
    flash(_("Поддержка раздела отозвана."), "success")
    return redirect(section_url(event, section))


@bp.route("/events/<int:event_id>/draft/sections/<int:section_id>/comments", methods=["POST"])
@login_required
def comment(event_id: int, section_id: int):
    event = load_event(event_id)
    section = load_section(event, section_id)
    form = SectionCommentForm(prefix=f"s{section.id}")
    if not form.validate_on_submit():
        # The rules of the phase come first: outside it the form's details do not matter.
        ops.ensure_can_take_part(section, current_user)
        return render_draft(event, forms={section.id: form}, status=400)
    try:
        created = ops.comment_section(section, current_user, form.body.data, form.stance.data)
    except OperationError as error:
        if error.status != 400:
            raise
        form.body.errors = list(form.body.errors) + [error.message]
        return render_draft(event, forms={section.id: form}, status=400)
    flash(ops.comment_message(created), "success")
    return redirect(url_for("discussion.draft", event_id=event.id,
                            _anchor=f"section-comment-{created.id}"))


# --- the methodical group ------------------------------------------------------------------

def render_manage(event, form=None, status: int = 200):
    review = review_of(event)
    if form is None:
        form = PublishForm(data={"scope": review.scope.value if review else "all",
                                 "ends_at": to_local_input(review.ends_at, event.timezone)
                                 if review and review.is_open() else ""})
    groups = draft_by_track(review) if review else []
    sections = [s for g in groups for s in g.sections]
    return render_template("discussion/manage.html", event=event, review=review, form=form,
                           groups=groups, stances={s.id: stance_counts(s) for s in sections},
                           sections_ready=ops.sections_to_publish(event, ops.ReviewScope.all),
                           agreed_ready=ops.sections_to_publish(event, ops.ReviewScope.agreed),
                           close_form=EmptyForm()), status


@bp.route("/events/<int:event_id>/manage/draft")
@organiser_required
def manage(event_id: int):
    return render_manage(load_event(event_id))


@bp.route("/events/<int:event_id>/manage/draft/publish", methods=["POST"])
@organiser_required
def publish(event_id: int):
    event = load_event(event_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return render_manage(event, form, 400)
    try:
        ends_at = parse_local(form.ends_at.data, event.timezone)
    except ValueError:
        form.ends_at.errors = [_("Время — в виде ДД.ММ.ГГГГ ЧЧ:ММ.")]
        return render_manage(event, form, 400)
    try:
        review = ops.publish_draft(event, current_user, scope=form.scope.data, ends_at=ends_at)
    except OperationError as error:
        if error.status not in (400, 409):
            raise
        form.form_errors.append(error.message)
        return render_manage(event, form, error.status)
    flash(_("Проект опубликован: %(n)d разд. Обсуждение открыто.",
            n=len(review.visible_sections)), "success")
    return redirect(url_for("discussion.manage", event_id=event.id))


@bp.route("/events/<int:event_id>/manage/draft/close", methods=["POST"])
@organiser_required
def close(event_id: int):
    event = load_event(event_id)
    require_button_form()
    ops.close_review(event, current_user)
    flash(_("Обсуждение проекта закрыто: поддержка и комментарии заморожены."), "success")
    return redirect(url_for("discussion.manage", event_id=event.id))


def load_comment(event, comment_id: int):
    found = section_comment(event, comment_id)
    if found is None:
        abort(404)
    return found


@bp.route("/events/<int:event_id>/manage/draft/comments/<int:comment_id>"
          "/<any(approve, hide, restore, \"dismiss-flags\"):action>", methods=["POST"])
@staff_required
def moderate_comment(event_id: int, comment_id: int, action: str):
    """Approve, hide (with a reason), restore a section comment, or dismiss its flags."""
    event = load_event(event_id)
    found = load_comment(event, comment_id)
    require_button_form()
    operation, inputs, message = ops.COMMENT_ACTIONS[action]
    operation(found, current_user, *(request.form.get(name, "") for name in inputs))
    flash(str(message), "success")
    return redirect(safe_next(url_for("discussion.manage", event_id=event.id)))


@bp.route("/events/<int:event_id>/draft/comments/<int:comment_id>/flag", methods=["POST"])
@login_required
def flag_comment(event_id: int, comment_id: int):
    """Complain about a comment on a section (жалоба); one per person."""
    event = load_event(event_id)
    found = load_comment(event, comment_id)
    require_button_form()
    ops.flag_section_comment(current_user, found, request.form.get("reason", ""))
    flash(_("Спасибо, жалоба передана модератору."), "success")
    return redirect(safe_next(section_url(event, found.section)))
