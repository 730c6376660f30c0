"""The draft's note «Как сформированы разделы», written from what really happened: the
grouping runs, the edits of the methodical group (from the workspace's edit log), the locks,
the editorial states and the summaries written by hand. A step that did not happen is not
claimed: with no edits the note says the sections are the grouping's as it left them."""
from __future__ import annotations

from collections import Counter

from flask_babel import format_date
from flask_babel import gettext as _

from strategy.core.templating import count_word, to_event_time
from strategy.export.agreement import HIGH_AGAINST, HIGH_SUPPORT_SHARE, MANY_AGAINST
from strategy.export.drafts import ExportData
from strategy.workspace.models import FEW_PROPOSALS, FEW_SUPPORTS, SectionState
from strategy.workspace.queries import run_counts


def times(n: int) -> str:
    return count_word(n, "раз", "раза", "раз", "time", "times")


def method_paragraphs(data: ExportData, agreed_only: bool) -> list[str]:
    """The note's paragraphs, with this event's figures."""
    paragraphs = [grouping_paragraph(data), edits_paragraph(data), states_paragraph(data),
                  ranking_paragraph(), agreement_paragraph(),
                  _("Библиотека и муниципалитет автора указаны только с его согласия, данного "
                    "при регистрации; имя указывается всегда. Партнёры, названные по-разному "
                    "(регистр, кавычки, падеж, опечатка, аббревиатура и полное название), "
                    "объединены.")]
    if agreed_only:
        paragraphs.append(_("Документ собран только из согласованных разделов."))
    return [p for p in paragraphs if p]


def grouping_paragraph(data: ExportData) -> str:
    method = _("Предложения участников сгруппированы автоматически по сходству текстов: "
               "тексты приведены к начальным формам слов, взвешены по частоте (TF-IDF) и "
               "сжаты; разделы получены согласованием нескольких разбиений методом k-средних, "
               "число разделов в треке подобрано по согласию этих разбиений. Ключевые слова "
               "раздела — слова, наиболее характерные для его предложений по сравнению с "
               "другими разделами трека.")
    if not data.runs:
        return method + " " + _("Группировка для этого документа ещё не запускалась: "
                                "предложения приведены без разделов.")
    if len(data.tracks) < 2:
        return method + " " + _("Группировка запускалась %(times)s; последний раз — %(last)s.",
                                times=times(len(data.runs)),
                                last=last_grouping(data.runs[-1], data))
    # The newest run of the event may be another track's: each track names the run that left
    # its sections.
    lasts = []
    for track in data.tracks:
        last = next((r for r in reversed(data.runs) if r.track_id in (None, track.id)), None)
        lasts.append(_("«%(track)s» — %(last)s", track=track.title,
                       last=last_grouping(last, data) if last else _("не группировался")))
    return method + " " + _("Группировка запускалась %(times)s. Последняя группировка по трекам: "
                            "%(lasts)s.", times=times(len(data.runs)), lasts="; ".join(lasts))


def last_grouping(run, data: ExportData) -> str:
    """«7 декабря 2026 в 05:10 (12 предложений, 5 разделов)»; a run over several tracks has
    only their total, so it gives none."""
    when = to_event_time(run.finished_at or run.created_at, data.tz)
    when = _("%(date)s в %(time)s", date=format_date(when.date(), "d MMMM y"),
             time=when.strftime("%H:%M"))
    if run.track_id is None and len(data.event.tracks) > 1:
        return _("%(when)s, вместе со всеми треками", when=when)
    proposals, sections = run_counts(run)
    return _("%(when)s (%(proposals)s, %(sections)s)", when=when, proposals=proposals,
             sections=sections)


def edits_paragraph(data: ExportData) -> str:
    """What people changed after the grouping, counted from the edit log."""
    actions = Counter(edit.action for edit in data.edits if edit.action != "run")
    edited_summaries = sum(1 for s in data.sections if s.summary_edited)
    parts = [(actions["rename"], _("переименований разделов")),
             (actions["move"], _("переносов предложений")),
             (actions["merge"], _("объединений разделов")),
             (actions["split"], _("разделений")),
             (actions["lock"], _("закреплений")),
             (actions["state"], _("смен состояния")),
             (edited_summaries, _("кратких содержаний, написанных вручную"))]
    done = [f"{label} — {n}" for n, label in parts if n]
    if not done:
        return _("Методическая группа разделы вручную не правила: названия, состав и краткое "
                 "содержание разделов — результат автоматической группировки.")
    people = {edit.actor_id for edit in data.edits if edit.action != "run" and edit.actor_id}
    return _("Затем методическая группа (%(people)s) правила разделы: %(done)s. При повторной "
             "группировке закреплённые разделы и перенесённые вручную предложения не меняются.",
             people=count_word(len(people), "человек", "человека", "человек", "person",
                               "people"),
             done="; ".join(done))


def states_paragraph(data: ExportData) -> str:
    if not data.sections:
        return ""
    states = Counter(s.state for s in data.sections)
    return _("Разделов в проекте: %(n)d; согласовано — %(agreed)d, на проверке — %(review)d, "
             "черновиков — %(draft)d; закреплено — %(locked)d.",
             n=len(data.sections), agreed=states[SectionState.agreed],
             review=states[SectionState.review], draft=states[SectionState.draft],
             locked=sum(s.locked for s in data.sections))


def ranking_paragraph() -> str:
    return _("Внутри раздела предложения упорядочены по числу поддержек. «Поддержали N из M "
             "участников трека» означает: N человек поддержали предложение, M — все участники, "
             "отдавшие хотя бы одну поддержку в этом треке. Разделы, где меньше %(p)d "
             "предложений или меньше %(s)d поддержек, отмечены как предварительные.",
             p=FEW_PROPOSALS, s=FEW_SUPPORTS)


def agreement_paragraph() -> str:
    return _("Позиции «за» и «против» взяты из комментариев: каждый участник учитывается один "
             "раз, по последнему комментарию с позицией. Предложение отмечено как спорное, если "
             "против высказались не меньше %(many)d человек и их не меньше, чем «за», или если "
             "его поддержали не меньше %(share)d %% участников трека, а против высказались не "
             "меньше %(some)d.", many=MANY_AGAINST, share=round(100 * HIGH_SUPPORT_SHARE),
             some=HIGH_AGAINST)
