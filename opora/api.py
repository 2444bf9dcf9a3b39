"""The REST API under /api/v1/, documented at /api/docs (OpenAPI generated from the schemas).

Errors answer in Russian with one shape: {"detail": "…"} for 401, 403, 404 and 405 (the last by
core.middleware.ApiMethodNotAllowedMiddleware); 422 adds a general message and a list of
{loc, msg, type}, whether pydantic rejected the request or a catalog action (Django's
ValidationError) rejected the data. The loc names the field wherever one field is the mistake: a
null where a value is needed, a rule of one field, an object the body or the query string names that
the caller cannot find (core.scope.get_named, core.api.named_in_query; 404 is only for the object of
the URL), a parameter the query string does not take (core.api.QuerySchema).
"""

from collections import defaultdict
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.db.models import CheckConstraint, Q
from django.db.models import Field as ModelField
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationErrorContext
from ninja.errors import ValidationError as RequestValidationError
from ninja.renderers import JSONRenderer

from accounts.api import router as me_router
from catalog.api import router as catalog_router
from core.api import NULL_REFUSED, RequestParser, russian_message
from core.middleware import overload_response
from enrollment.api import router as enrollment_router
from enrollment.services import IDEMPOTENCY_KEY
from finance.api import router as finance_router
from monitoring.api import router as monitoring_router
from monitoring.import_api import router as import_router
from people.api import router as people_router
from people.staff_api import router as staff_router
from territory.api import router as territory_router


class UnicodeJSONRenderer(JSONRenderer):
    """JSON with Russian text as it is, in UTF-8 (the Content-Type says so), not as \\u escapes: a page of
    the catalog is ~40 % smaller and readable in any client."""

    json_dumps_params = {"ensure_ascii": False}


class OporaAPI(NinjaAPI):
    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> RequestValidationError:
        """Ninja's errors, a null in a field that takes none said as such. Ninja drops the value each
        error is about, and without it a required field's null read «Ожидается строка» on create, while
        a PATCH, which takes null through to the model, said NULL_REFUSED."""
        refused = super().validation_error_from_error_contexts(error_contexts)
        values = [e["input"] for c in error_contexts for e in c.pydantic_validation_error.errors(include_url=False)]
        for error, value in zip(refused.errors, values, strict=True):
            loc = error["loc"]
            # A field of the body (not the body itself, not an item of a list): part, parameter, field.
            if value is None and len(loc) > 2 and isinstance(loc[-1], str):
                error["type"] = "null"
        return refused


api = OporaAPI(
    title="Опора API",
    renderer=UnicodeJSONRenderer(),
    parser=RequestParser(),
    version="1",
    description=(
        "Навигатор дополнительного образования: муниципалитеты, организации, программы, группы, заявки, "
        "реестр детей и показатели мониторинга.\n\n"
        "Каталог открыт всем; заявки видят только семья, организация и её модераторы. Изменения — с токеном "
        "API в заголовке `Authorization: Bearer <токен>`; токен выпускается в кабинете («Токены API») или "
        "командой `manage.py issue_api_token`."
    ),
    urls_namespace="api",
    # Swagger UI comes from ninja's static files; the validator badge would call validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
)
api.add_router("", me_router)
api.add_router("", territory_router)
api.add_router("", catalog_router)
api.add_router("", enrollment_router)
api.add_router("", people_router)
api.add_router("", staff_router)
api.add_router("", monitoring_router)
api.add_router("", import_router)
api.add_router("", finance_router)

INVALID_REQUEST = "Запрос содержит ошибки."
UNKNOWN_PARAMETER = "Неизвестный параметр: допустимые перечислены в документации (/api/docs)."


def _invalid(request: HttpRequest, errors: list[dict[str, Any]]) -> HttpResponse:
    return api.create_response(request, {"message": INVALID_REQUEST, "detail": errors}, status=422)


@api.exception_handler(RequestValidationError)
def request_invalid(request: HttpRequest, exc: RequestValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = list(error["loc"])
        if len(loc) >= 2 and loc[0] == loc[1]:
            # ninja names the parameter a schema came in (every view calls it `body` or `query`): said as
            # the rules say it, part and field («body», «title»), not «body», «body», «title».
            del loc[1]
        unknown_parameter = loc[0] == "query" and error["type"] == "extra_forbidden"
        message = UNKNOWN_PARAMETER if unknown_parameter else russian_message(error)
        errors.append({"loc": loc, "msg": message, "type": error["type"]})
    return _invalid(request, errors)


def _said_for_api(message: str) -> str:
    # Django's own words for a null in a field that takes none name the database's NULL.
    return NULL_REFUSED if message == str(ModelField.default_error_messages["null"]) else message


@cache
def _fields_of_rules() -> dict[str, str]:
    """The message of each table rule of one field (a CheckConstraint such as «hours_total > 0») →
    that field. Django reports a check constraint as the whole object's error, whatever it checks;
    a message that rules of two fields share is left out."""
    fields: defaultdict[str, set[str]] = defaultdict(set)
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if not isinstance(constraint, CheckConstraint) or not isinstance(constraint.condition, Q):
                continue
            if len(names := constraint.condition.referenced_base_fields) == 1:
                fields[constraint.get_violation_error_message()] |= names
    return {message: next(iter(names)) for message, names in fields.items() if len(names) == 1}


# Fields of the rules that a request sends in a header, not in its body.
HEADER_FIELDS = {IDEMPOTENCY_KEY: "Idempotency-Key"}


def _loc(field: str, message: str) -> list[str]:
    if field in HEADER_FIELDS:
        return ["header", HEADER_FIELDS[field]]
    if field == NON_FIELD_ERRORS:
        field = _fields_of_rules().get(message, field)
    return ["body"] if field == NON_FIELD_ERRORS else ["body", *field.split(".")]  # «operator.email»: a nested one


@api.exception_handler(DjangoValidationError)
def data_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    return _invalid(
        request,
        [
            {"loc": _loc(field, message), "msg": _said_for_api(message), "type": "invalid"}
            for field, messages in by_field.items()
            for message in messages
        ],
    )


@api.exception_handler(HttpError)
def bad_request(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, RequestValidationError):
        return request_invalid(request, exc.__cause__)  # the parser refused a value (core.api.RequestParser)
    # Ninja raises a bare HttpError for a body it cannot parse (400) and for a session's request
    # without its CSRF token (403).
    detail = {
        400: "Тело запроса не разобрано: ожидается JSON.",
        403: "Запрос от имени сессии без CSRF-токена: отправьте заголовок X-CSRFToken или используйте токен API.",
    }.get(exc.status_code, str(exc))
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django's own views answer it with the HTML page of a 400; ninja would let it through as a 500.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
    detail = f"Тело запроса больше {limit:.1f} МБ: столько не принимается.".replace(".", ",", 1)
    return api.create_response(request, {"detail": detail}, status=413)


@api.exception_handler(MultiPartParserError)
def upload_unreadable(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    # Django's own views answer 400 to it; ninja would let it through as a 500.
    detail = "Тело запроса не разобрано: ожидается multipart/form-data с файлом."
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Нужен действующий токен API: заголовок «Authorization: Bearer <токен>»."}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


FORBIDDEN = "Недостаточно прав для этого действия."


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    """A rule's own words where it gave them («Решение по заявке принимает организация…»): they say who may."""
    return api.create_response(request, {"detail": str(exc) if exc.args else FORBIDDEN}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Не найдено."}, status=404)


@api.exception_handler(OperationalError)
def database_unavailable(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """An exhausted connection pool is a 503 with Retry-After; any other database error stays an error."""
    response = overload_response(request, exc)
    if response is None:
        raise exc
    return response


def no_such_endpoint(request: HttpRequest) -> HttpResponse:
    return api.create_response(request, {"detail": "Такого адреса в API нет: см. /api/docs."}, status=404)
