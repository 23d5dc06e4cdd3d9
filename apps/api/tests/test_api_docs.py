"""`/docs` and `/redoc` load their scripts, stylesheet and icon from the API itself: the
pages name no other host, and every asset they name is served, without a key."""

from __future__ import annotations

import re

import pytest
from wallet_api_testkit import Api

_ASSET_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("/docs", {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"}),
        ("/redoc", {"/docs/assets/redoc.standalone.js"}),
    ],
)
async def test_docs_pages_load_only_assets_the_api_serves(
    api: Api, page: str, expected: set[str]
) -> None:
    html = await api.client.get(page, headers={"X-API-Key": ""})
    assert html.status_code == 200
    assert "http://" not in html.text
    assert "https://" not in html.text
    urls = set(_ASSET_URL.findall(html.text))
    assert expected <= urls
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url  # protocol-relative: another host
        asset = await api.client.get(url, headers={"X-API-Key": ""})
        assert asset.status_code == 200, url
        assert len(asset.content) > 0, url


async def test_swagger_ui_does_not_call_the_online_validator(api: Api) -> None:
    html = (await api.client.get("/docs")).text
    assert '"validatorUrl": null' in html


async def test_assets_are_javascript_and_css(api: Api) -> None:
    script = await api.client.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"]
    assert "SwaggerUIBundle" in script.text
    style = await api.client.get("/docs/assets/swagger-ui.css")
    assert style.headers["content-type"].startswith("text/css")


async def test_other_paths_under_the_assets_need_a_key(api: Api) -> None:
    response = await api.client.get("/docs/assets/anything-else.js", headers={"X-API-Key": ""})
    assert response.status_code == 401
