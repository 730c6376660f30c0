"""Request hardening the whole app shares: where writes may come from, ids the database can
hold, characters a database can store, and how many form fields a request may carry."""
import re
from urllib.parse import parse_qsl

from flask import Flask, current_app, request
from flask.wrappers import Request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter, UnicodeConverter
from werkzeug.utils import cached_property

from strategy.core.errors import origin_of, request_is_same_origin

# PostgreSQL's INTEGER (our primary keys); SQLite's limit (2^63) is far above it.
DATABASE_ID_MAX = 2**31 - 1
# C0 control characters and DEL, except tab, line feed and carriage return. PostgreSQL cannot
# store NUL at all; the others are invisible and only ever come from broken or hostile clients.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class DatabaseIdConverter(IntegerConverter):
    """<int:...> in URLs: an id the database cannot hold matches no route (a 404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", DATABASE_ID_MAX)
        super().__init__(url_map, *args, **kwargs)


class TextSegmentConverter(UnicodeConverter):
    """The default <slug> segment, without control characters (they match no route)."""

    def __init__(self, url_map, minlength=1, maxlength=None, length=None):
        super().__init__(url_map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]")


def install_url_converters(app: Flask) -> None:
    """Before any route is added: the converters are looked up when a rule is registered."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.url_map.converters["default"] = TextSegmentConverter
    app.url_map.converters["string"] = TextSegmentConverter


def without_controls(value):
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


def clean_multidict(data: MultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict([(without_controls(key), without_controls(value))
                               for key, value in data.items(multi=True)])


def clean_json(value):
    if isinstance(value, str):
        return without_controls(value)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {without_controls(k): clean_json(v) for k, v in value.items()}
    return value


class TooManyFields(RequestEntityTooLarge):
    user_message = True

    def __init__(self):
        super().__init__(str(_l("Слишком большой запрос: в форме слишком много полей или "
                                "текста. Сократите текст и отправьте ещё раз.")))


class CappedFormDataParser(FormDataParser):
    """Werkzeug caps multipart forms (MAX_FORM_PARTS, MAX_FORM_MEMORY_SIZE) but reads a
    url-encoded body whole, whatever its number of fields; cap that one too."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        limit = self.max_form_memory_size
        raw = stream.read(limit + 1) if limit else stream.read()
        if limit and len(raw) > limit:
            raise TooManyFields()
        if self.max_form_parts is not None and raw.count(b"&") >= self.max_form_parts:
            raise TooManyFields()
        items = parse_qsl(raw.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        return stream, self.cls(items), self.cls()


class HardenedRequest(Request):
    """Query strings, forms and JSON without control characters, url-encoded forms capped.
    Stripping (not refusing) keeps what a person typed when a phone's keyboard or a paste
    slipped an invisible character in."""

    form_data_parser_class = CappedFormDataParser

    @cached_property
    def args(self):
        return clean_multidict(super().args)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = clean_multidict(self.__dict__["form"])

    def get_json(self, *args, **kwargs):
        return clean_json(super().get_json(*args, **kwargs))

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def check_origin() -> None:
    """A write whose browser names another site as its origin is refused, token or not."""
    if request.method not in UNSAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED",
                                                                           True):
        return
    origin = request.headers.get("Origin")
    if not origin:
        return  # no Origin (old browser, same-origin GET-like): the CSRF token decides
    public = origin_of(current_app.config.get("PUBLIC_URL") or "")
    if request_is_same_origin() or (public and origin_of(origin) == public):
        return
    raise CSRFError("The request came from another site.")


def read_only(view):
    """Mark a POST view that only reads (e.g. similarity hints for a long text), so SQLite does
    not make it take the write lock first (see strategy.bind_sqlite_engine)."""
    view.read_only = True
    return view


def init_app(app: Flask) -> None:
    app.request_class = HardenedRequest
    app.before_request(check_origin)
