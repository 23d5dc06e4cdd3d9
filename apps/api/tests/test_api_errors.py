"""Error plumbing: unknown routes, wrong verbs, and the catch-all 500 that leaks nothing."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from wallet_api_testkit import Api, StartApi, assert_error
from wallet_domain.model.provider import ServiceProvider
from wallet_domain.use_cases.list_providers import ListProviders

SECRET_TEXT = "SELECT api_key FROM secrets -- asyncpg.exceptions.InternalServerError"


class _Exploding(ListProviders):
    def __init__(self) -> None:
        """No ports: it fails before it would need any."""

    async def execute(self) -> list[ServiceProvider]:
        raise RuntimeError(SECRET_TEXT)


class _ExplodingProvider(Provider):
    @provide(scope=Scope.REQUEST)
    def list_providers(self) -> ListProviders:
        return _Exploding()


async def test_unexpected_exception_is_a_bare_500(start_api: StartApi) -> None:
    async with start_api(extra_providers=(_ExplodingProvider(),)) as api:
        response = await api.client.get("/providers")
        error = assert_error(response, 500, "INTERNAL")
        assert error["details"] == {}
        assert "RuntimeError" not in response.text
        assert "api_key" not in response.text
        assert "X-Request-ID" in response.headers
        # The app keeps serving.
        assert (await api.client.get("/healthz")).status_code == 200


async def test_unknown_route_is_404_envelope(api: Api) -> None:
    assert_error(await api.client.get("/nope"), 404, "NOT_FOUND")
    assert_error(await api.client.get("/wallets"), 405, "METHOD_NOT_ALLOWED")


async def test_wrong_method_is_405_with_allow(api: Api) -> None:
    response = await api.client.delete("/providers")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET"


async def test_405_allows_every_method_of_the_path_not_just_the_first_routes(api: Api) -> None:
    response = await api.client.delete("/wallets/alice/holds")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET, POST"
