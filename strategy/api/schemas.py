"""Marshmallow schemas of /api/v1: what a request may send (validated, with Russian messages)
and what an answer contains (the OpenAPI document is generated from them).

Answers are built as dicts by serializers.py and dumped through these schemas, so a field that
is not declared here never leaves the server and the document cannot drift from the code.
"""
import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from strategy.api.models import NAME_MAX
from strategy.comments.models import COMMENT_MAX, Stance
from strategy.moderation.operations import REASON_MAX
from strategy.proposals.models import BODY_MAX, FIELD_MAX, TITLE_MAX, ProposalKind
from strategy.proposals.queries import SORTS
from strategy.review.models import ANSWER_FILTERS

# --- input fields with Russian messages ---------------------------------------------------

BASE_MESSAGES = {
    "required": _l("Обязательное поле."),
    "null": _l("Поле не может быть пустым (null)."),
    "validator_failed": _l("Недопустимое значение."),
}


class RussianMessages:
    """Messages are lazy (translated when raised); marshmallow formats only real strings."""

    def make_error(self, key: str, **kwargs) -> ma.ValidationError:
        message = str(self.error_messages[key])
        return ma.ValidationError(message.format(**kwargs) if kwargs else message)


class String(RussianMessages, fields.String):
    """Text that the databases can store: no NUL character, no lone surrogate."""

    default_error_messages = {**BASE_MESSAGES, "invalid": _l("Нужна строка."),
                              "invalid_utf8": _l("Строка не в кодировке UTF-8."),
                              "control": _l("Текст содержит недопустимый символ.")}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("control")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("invalid_utf8") from None
        return text


class TrimmedLength(validate.Length):
    """Length of the text without the spaces around it (what the operations will store)."""

    def __call__(self, value):
        super().__call__(value.strip() if isinstance(value, str) else value)
        return value


class Integer(RussianMessages, fields.Integer):
    default_error_messages = {**BASE_MESSAGES, "invalid": _l("Нужно целое число."),
                              "too_large": _l("Слишком большое число.")}


class List(RussianMessages, fields.List):
    default_error_messages = {**BASE_MESSAGES, "invalid": _l("Нужен список.")}


class Dict(RussianMessages, fields.Dict):
    default_error_messages = {**BASE_MESSAGES, "invalid": _l("Нужен объект.")}


def length(min_: int, max_: int):
    if min_:
        message = _l("От %(min)d до %(max)d символов.", min=min_, max=max_)
    else:
        message = _l("Не больше %(max)d символов.", max=max_)
    return TrimmedLength(min=min_, max=max_, error=message)


def one_of(values):
    values = list(values)
    return validate.OneOf(values, error=_l("Выберите одно из значений: %(values)s.",
                                           values=", ".join(values)))


def positive(max_: int = 2_147_483_647):
    return validate.Range(min=1, max=max_, error=_l("Нужно целое число от 1 до %(max)d.",
                                                    max=max_))


class InputSchema(ma.Schema):
    """Request bodies and query strings: unknown fields are refused with a Russian message."""

    error_messages = {"unknown": _l("Неизвестное поле."), "type": _l("Нужен объект JSON.")}


KINDS = [k.value for k in ProposalKind]
STANCES = [s.value for s in Stance]


class ProposalListArgs(InputSchema):
    """The track page's filters (strategy/proposals/queries.py ListFilters)."""

    kind = String(validate=one_of(KINDS), metadata={"description": "idea, project or practice"})
    municipality = String(validate=length(0, 120))
    q = String(validate=length(0, 200), metadata={"description": "Search words (stemmed)"})
    answer = String(validate=one_of(list(ANSWER_FILTERS)), metadata={
        "description": "An official answer's state (accepted, partial, revision, rejected) or "
                       "none (no answer yet)"})
    sort = String(validate=one_of(SORTS), load_default="support")
    page = Integer(validate=positive(10_000), load_default=1)


class ProposalCreateArgs(InputSchema):
    track = String(required=True, validate=length(1, 80),
                   metadata={"description": "The track's slug"})
    title = String(required=True, validate=length(5, TITLE_MAX))
    body = String(required=True, validate=length(10, BODY_MAX))
    kind = String(validate=one_of(KINDS), load_default="idea")
    expected_result = String(validate=length(0, FIELD_MAX), load_default="")
    partners = String(validate=length(0, FIELD_MAX), load_default="")


class ProposalEditArgs(InputSchema):
    title = String(validate=length(5, TITLE_MAX))
    body = String(validate=length(10, BODY_MAX))
    kind = String(validate=one_of(KINDS))
    expected_result = String(validate=length(0, FIELD_MAX))
    partners = String(validate=length(0, FIELD_MAX))


class SimilarArgs(InputSchema):
    track = String(required=True, validate=length(1, 80))
    q = String(required=True, validate=length(0, 2000))


class SimilarBody(InputSchema):
    track = String(required=True, validate=length(1, 80))
    q = String(required=True, validate=length(0, 6000))  # a title and a 5,000-character text


class CommentCreateArgs(InputSchema):
    body = String(required=True, validate=length(2, COMMENT_MAX))
    stance = String(validate=one_of(STANCES), allow_none=True, load_default=None)
    parent_id = Integer(strict=True, validate=positive(), allow_none=True, load_default=None)


class ChangesArgs(InputSchema):
    since = Integer(validate=validate.Range(min=0, max=2_147_483_647, error=_l(
        "Параметр since должен быть целым числом не меньше нуля.")), load_default=0)
    track = Integer(validate=positive(), metadata={"description": "Only this track's changes "
                                                   "(and those of the whole event)"})


class ReasonArgs(InputSchema):
    reason = String(required=True, validate=length(1, REASON_MAX),
                    metadata={"description": "Shown to the author"})


class MergeArgs(InputSchema):
    target = Integer(required=True, strict=True, validate=positive(),
                     metadata={"description": "Number of the proposal to merge into"})


class TokenCreateArgs(InputSchema):
    name = String(required=True, validate=length(1, NAME_MAX))


# --- answers ------------------------------------------------------------------------------

Str = fields.String
Int = fields.Integer
Bool = fields.Boolean


def when(**kw):
    """A date-time as ISO 8601 in UTC ('2026-09-28T07:30:00Z')."""
    return Str(metadata={"format": "date-time"}, **kw)


class OutputSchema(ma.Schema):
    pass


class TrackSchema(OutputSchema):
    id = Int(required=True)
    slug = Str(required=True)
    title = Str(required=True)
    description = Str(required=True)
    position = Int(required=True)
    accepts_proposals = Bool(required=True)
    accepts_supports = Bool(required=True)
    submission_ends_at = when(allow_none=True, required=True)
    support_ends_at = when(allow_none=True, required=True)
    support_budget = Int(allow_none=True, required=True,
                         metadata={"description": "Supports per person; null is unlimited"})
    counts_visible = Bool(required=True)
    proposal_count = Int(required=True)
    support_count = Int(allow_none=True, required=True)
    votes_left = Int(allow_none=True, required=True)
    url = Str(required=True, metadata={"description": "The track's page on the site"})


class EventSchema(OutputSchema):
    id = Int(required=True)
    slug = Str(required=True)
    title = Str(required=True)
    description = Str(required=True)
    place = Str(required=True)
    timezone = Str(required=True)
    starts_on = Str(allow_none=True, required=True, metadata={"format": "date"})
    ends_on = Str(allow_none=True, required=True, metadata={"format": "date"})
    moderation_mode = Str(required=True, validate=validate.OneOf(["post", "pre"]))
    proposal_count = Int(required=True)
    support_count = Int(required=True)
    tracks = fields.List(fields.Nested(TrackSchema), required=True)
    url = Str(required=True)


class AuthorSchema(OutputSchema):
    display_name = Str(required=True)
    affiliation = Str(required=True, metadata={"description": "Library and municipality, if "
                                               "the person agreed to show them"})


class AnswerStateSchema(OutputSchema):
    state = Str(required=True, validate=validate.OneOf(
        ["accepted", "partial", "revision", "rejected"]))
    state_label = Str(required=True)


class ProposalSchema(OutputSchema):
    id = Int(required=True)
    event_id = Int(required=True)
    track_id = Int(required=True)
    track = Str(required=True, metadata={"description": "The track's slug"})
    title = Str(required=True)
    body = Str(required=True)
    kind = Str(required=True, validate=validate.OneOf(KINDS))
    expected_result = Str(required=True)
    partners = Str(required=True)
    status = Str(required=True, validate=validate.OneOf(
        ["pending", "published", "hidden", "merged"]))
    hidden_reason = Str(allow_none=True, required=True,
                        metadata={"description": "Only for the author and moderators"})
    is_pinned = Bool(required=True)
    merged_into_id = Int(allow_none=True, required=True)
    support_count = Int(allow_none=True, required=True,
                        metadata={"description": "null while the track hides counts"})
    comment_count = Int(required=True)
    join_count = Int(required=True)
    author = fields.Nested(AuthorSchema, allow_none=True, required=True)
    created_at = when(required=True)
    supported = Bool(allow_none=True, required=True,
                     metadata={"description": "Whether you support it (null if signed out)"})
    can_edit = Bool(required=True)
    can_support = Bool(required=True)
    answer = fields.Nested(AnswerStateSchema, allow_none=True, required=True, metadata={
        "description": "The official answer's state (null: none yet; its text: GET …/answer)"})
    url = Str(required=True)


class SupportSchema(OutputSchema):
    proposal_id = Int(required=True)
    supported = Bool(required=True)
    support_count = Int(allow_none=True, required=True)
    votes_left = Int(allow_none=True, required=True,
                     metadata={"description": "Supports left in a dot-voting track"})


class ReplySchema(OutputSchema):
    id = Int(required=True)
    proposal_id = Int(required=True)
    parent_id = Int(allow_none=True, required=True)
    body = Str(required=True)
    stance = Str(allow_none=True, required=True, validate=validate.OneOf(STANCES))
    status = Str(required=True, validate=validate.OneOf(["pending", "published", "hidden"]))
    hidden_reason = Str(allow_none=True, required=True)
    author = fields.Nested(AuthorSchema, allow_none=True, required=True)
    created_at = when(required=True)


class CommentSchema(ReplySchema):
    replies = fields.List(fields.Nested(ReplySchema), required=True)


class SimilarSchema(OutputSchema):
    id = Int(required=True)
    title = Str(required=True)
    similarity = fields.Float(required=True)
    support_count = Int(allow_none=True, required=True)
    url = Str(required=True)


class ChangeSchema(OutputSchema):
    class Meta:
        unknown = ma.INCLUDE  # a change carries its kind's own fields

    id = Int(required=True)
    kind = Str(required=True)
    track_id = Int(allow_none=True, required=True)
    proposal_id = Int(allow_none=True, required=True)

    @ma.post_dump(pass_original=True)
    def keep_kind_fields(self, data: dict, original: dict, **_kwargs) -> dict:
        """Dumping keeps declared fields only; a change's own fields (into, status, by …) stay."""
        return {**original, **data}


class ProposalStateSchema(OutputSchema):
    status = Str(required=True)
    track_id = Int(required=True)
    merged_into_id = Int(allow_none=True, required=True)
    is_pinned = Bool(required=True)
    support_count = Int(allow_none=True, required=True)
    comment_count = Int(required=True)


class ChangesSchema(OutputSchema):
    cursor = Int(required=True, metadata={"description": "Ask again with since=cursor"})
    more = Bool(required=True, metadata={"description": "More changes wait: ask at once"})
    reset = Bool(required=True, metadata={"description": "Your cursor is ahead of the server: "
                                          "reload"})
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    proposals = fields.Dict(keys=Str(), values=fields.Nested(ProposalStateSchema),
                            required=True, metadata={"description": "Current state of the "
                                                     "proposals the changes mention, by id"})


class ModeratedUserSchema(OutputSchema):
    id = Int(required=True)
    display_name = Str(required=True)
    is_muted = Bool(required=True)


class ModeratedSchema(OutputSchema):
    """The object a moderation action changed (one of the three is set)."""

    proposal = fields.Nested(ProposalSchema, allow_none=True, required=True)
    comment = fields.Nested(ReplySchema, allow_none=True, required=True)
    user = fields.Nested(ModeratedUserSchema, allow_none=True, required=True)


class TokenSchema(OutputSchema):
    id = Int(required=True)
    name = Str(required=True)
    hint = Str(required=True, metadata={"description": "The token's first characters"})
    created_at = when(required=True)
    last_used_at = when(allow_none=True, required=True)
    revoked_at = when(allow_none=True, required=True)


class NewTokenSchema(TokenSchema):
    token = Str(required=True, metadata={"description": "Shown once: store it now"})


class MeSchema(OutputSchema):
    id = Int(allow_none=True, required=True)
    display_name = Str(allow_none=True, required=True)
    role = Str(allow_none=True, required=True,
               validate=validate.OneOf(["participant", "facilitator", "organiser"]))
    event_id = Int(allow_none=True, required=True)
    authenticated = Bool(required=True)
    via = Str(allow_none=True, required=True, validate=validate.OneOf(["session", "token"]),
              metadata={"description": "How this request was authenticated"})


# --- the envelope -------------------------------------------------------------------------

class PaginationSchema(OutputSchema):
    page = Int(required=True)
    per_page = Int(required=True)
    total = Int(required=True)
    pages = Int(required=True)


class MetaSchema(OutputSchema):
    message = Str(metadata={"description": "What happened, for people (Russian by default)"})
    pagination = fields.Nested(PaginationSchema)


class ErrorSchema(OutputSchema):
    success = Bool(required=True, validate=validate.Equal(False))
    error = Str(required=True, metadata={"description": "Machine-readable code, e.g. "
                                         "not_found, validation_error, csrf_failed"})
    message = Str(required=True, metadata={"description": "For people (Russian by default)"})
    errors = fields.Dict(keys=Str(), values=fields.List(Str()), required=True,
                         metadata={"description": "Messages per field"})


_envelopes: dict[str, type] = {}


def envelope(data_schema: type, many: bool = False) -> type:
    """``{"success": true, "data": <data_schema>, "meta": {...}}`` as a named schema class."""
    name = data_schema.__name__.removesuffix("Schema") + ("List" if many else "") + "Answer"
    if name not in _envelopes:
        data = (fields.List(fields.Nested(data_schema), required=True) if many
                else fields.Nested(data_schema, required=True))
        _envelopes[name] = type(name, (OutputSchema,), {
            "success": Bool(required=True, validate=validate.Equal(True)),
            "data": data,
            "meta": fields.Nested(MetaSchema, required=True),
        })
    return _envelopes[name]
