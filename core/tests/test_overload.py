"""Under overload the server answers 503 with Retry-After, in Russian, and other errors stay errors."""

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from psycopg_pool import PoolTimeout

from core.middleware import OverloadMiddleware


def pool_exhausted() -> OperationalError:
    try:
        raise OperationalError("couldn't get a connection") from PoolTimeout("timeout after 3 s")
    except OperationalError as error:
        return error


@pytest.mark.parametrize(("path", "kind"), [("/api/v1/applications", "application/json"), ("/programs/", "text/plain")])
def test_an_exhausted_pool_is_a_503_with_retry_after(path, kind):
    middleware = OverloadMiddleware(lambda request: HttpResponse())
    response = middleware.process_exception(RequestFactory().post(path), pool_exhausted())
    assert response is not None and response.status_code == 503
    assert response["Retry-After"] == "2" and response["Content-Type"].startswith(kind)
    assert "перегружен" in response.content.decode()


def test_other_database_errors_are_not_hidden():
    middleware = OverloadMiddleware(lambda request: HttpResponse())
    assert middleware.process_exception(RequestFactory().get("/"), OperationalError("disk full")) is None
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("bug")) is None


def test_the_api_answers_an_exhausted_pool_the_same_way():
    from opora.api import database_unavailable

    request = RequestFactory().get("/api/v1/programs")
    response = database_unavailable(request, pool_exhausted())
    assert response.status_code == 503 and response["Retry-After"] == "2"
    with pytest.raises(OperationalError):
        database_unavailable(request, OperationalError("disk full"))


@pytest.mark.django_db
def test_the_health_endpoint_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
