"""`/docs` (Swagger UI) and `/redoc` served with their scripts, stylesheet and icon from
the app itself (the `fastapi-offline` package ships them), instead of FastAPI's default
of loading them from a public CDN: the docs work offline and no third party can swap the
code that runs next to a user's API key. Swagger UI's online validator badge, which
would send the document's URL to an outside service, is turned off.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

DOCS_ASSETS_URL: Final = "/docs/assets"
# Every file fastapi-offline serves there; the docs pages need no key, so neither do these.
DOCS_ASSET_PATHS: Final = frozenset(
    f"{DOCS_ASSETS_URL}/{name}"
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")
)
_SWAGGER_UI_PARAMETERS: Final = {"validatorUrl": None}


def fastapi_with_local_docs(**kwargs: Any) -> FastAPI:
    """`FastAPI(**kwargs)`, its docs pages pointing at assets under DOCS_ASSETS_URL."""
    return FastAPIOffline(
        static_url=DOCS_ASSETS_URL, swagger_ui_parameters=_SWAGGER_UI_PARAMETERS, **kwargs
    )
