"""The REST API under /api/v1/, documented at /api/docs (OpenAPI generated from the schemas).

Errors answer in Russian with one shape: {"detail": "…"} for 401, 403 and 404; 422 adds a
general message and a list of {loc, msg, type}, whether pydantic rejected the request or a
catalog action (Django's ValidationError) rejected the data.
"""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError

from catalog.api import router as catalog_router
from core.middleware import overload_response
from enrollment.api import router as enrollment_router
from finance.api import router as finance_router
from monitoring.api import router as monitoring_router
from monitoring.import_api import router as import_router
from people.api import router as people_router
from territory.api import router as territory_router

api = NinjaAPI(
    title="Опора API",
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
api.add_router("", territory_router)
api.add_router("", catalog_router)
api.add_router("", enrollment_router)
api.add_router("", people_router)
api.add_router("", monitoring_router)
api.add_router("", import_router)
api.add_router("", finance_router)

INVALID_REQUEST = "Запрос содержит ошибки."

# Pydantic's messages by error type; a type not listed keeps its own (custom types are Russian already).
PYDANTIC_MESSAGES = {
    "missing": "Обязательное поле.",
    "extra_forbidden": "Неизвестное поле.",
    "json_invalid": "Некорректный JSON.",
    "model_attributes_type": "Ожидается объект.",
    "dict_type": "Ожидается объект.",
    "list_type": "Ожидается список.",
    "string_type": "Ожидается строка.",
    "string_too_short": "Не короче {min_length} символов.",
    "string_too_long": "Не длиннее {max_length} символов.",
    "string_pattern_mismatch": "Значение не соответствует формату {pattern}.",
    "bool_type": "Укажите true или false.",
    "bool_parsing": "Укажите true или false.",
    "int_type": "Укажите целое число.",
    "int_parsing": "Укажите целое число.",
    "int_from_float": "Укажите целое число.",
    "decimal_type": "Укажите число.",
    "decimal_parsing": "Укажите число.",
    "decimal_max_digits": "Не больше {max_digits} цифр.",
    "decimal_max_places": "Не больше {decimal_places} знаков после запятой.",
    "greater_than": "Значение должно быть больше {gt}.",
    "greater_than_equal": "Значение должно быть не меньше {ge}.",
    "less_than": "Значение должно быть меньше {lt}.",
    "less_than_equal": "Значение должно быть не больше {le}.",
    "date_type": "Укажите дату в формате ГГГГ-ММ-ДД.",
    "date_parsing": "Укажите дату в формате ГГГГ-ММ-ДД.",
    "date_from_datetime_parsing": "Укажите дату в формате ГГГГ-ММ-ДД.",
    "time_type": "Укажите время в формате ЧЧ:ММ.",
    "time_parsing": "Укажите время в формате ЧЧ:ММ.",
    "datetime_type": "Укажите дату и время в формате ISO 8601, например 2025-09-01T00:00:00Z.",
    "datetime_parsing": "Укажите дату и время в формате ISO 8601, например 2025-09-01T00:00:00Z.",
    "datetime_from_date_parsing": "Укажите дату и время в формате ISO 8601, например 2025-09-01T00:00:00Z.",
    "timezone_aware": "Укажите часовой пояс, например 2025-09-01T00:00:00Z.",
    "uuid_type": "Укажите UUID.",
    "uuid_parsing": "Укажите UUID.",
}


def _invalid(request: HttpRequest, errors: list[dict[str, Any]]) -> HttpResponse:
    return api.create_response(request, {"message": INVALID_REQUEST, "detail": errors}, status=422)


@api.exception_handler(RequestValidationError)
def request_invalid(request: HttpRequest, exc: RequestValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        template = PYDANTIC_MESSAGES.get(error["type"])
        message = template.format(**error.get("ctx", {})) if template else error["msg"]
        errors.append({"loc": list(error["loc"]), "msg": message, "type": error["type"]})
    return _invalid(request, errors)


@api.exception_handler(DjangoValidationError)
def data_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    return _invalid(
        request,
        [
            {"loc": ["body"] if field == NON_FIELD_ERRORS else ["body", field], "msg": message, "type": "invalid"}
            for field, messages in by_field.items()
            for message in messages
        ],
    )


@api.exception_handler(HttpError)
def bad_request(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja raises a bare HttpError only for a body it cannot parse (400).
    detail = "Тело запроса не разобрано: ожидается JSON." if exc.status_code == 400 else str(exc)
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Нужен действующий токен API: заголовок «Authorization: Bearer <токен>»."}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "Недостаточно прав для этого действия."}, status=403)


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
