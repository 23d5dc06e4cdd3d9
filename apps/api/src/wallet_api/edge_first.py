"""An HTTP request meets the app's own outermost middleware (the edge) first.

FastAPI wraps the middlewares an app adds in three of its own, each a coroutine call and
a `send` wrapper per request (10 to 20 µs of a balance read's ~270 in-process), and none
does anything here:
- `ServerErrorMiddleware` answers an escaped exception with a 500: the edge already does
  (the bare 500 envelope, the traceback to the server log only), and the app registers no
  500 handler for it to call;
- `ExceptionTelemetryMiddleware` feeds FastAPI's native OpenTelemetry, which is off
  (`main.NO_NATIVE_TELEMETRY`);
- `AppBodyLimitMiddleware` enforces FastAPI's `max_body_size`, which the app leaves unset;
  the edge limits bodies (`WALLET_MAX_BODY_BYTES`).
`skip_framework_layers` builds the app's stack once, without them: Starlette's
`__call__` then hands every request (and the lifespan, which the middlewares pass on to
the router) to the app's own outermost middleware.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from starlette.types import ASGIApp

# FastAPI's layers around the app's own middlewares, outermost first, by class name (two
# live in private modules). fastapi is pinned; a release that adds, drops or reorders one
# fails here at start-up, and in test_api_edge_first.py.
FRAMEWORK_OUTER: Final = (
    "ServerErrorMiddleware",
    "ExceptionTelemetryMiddleware",
    "AppBodyLimitMiddleware",
)


def inside_framework_layers(stack: ASGIApp) -> ASGIApp:
    """The layer of `stack` (FastAPI's built middleware stack) right inside its own outer
    layers: the app's outermost middleware."""
    layer: Any = stack
    for name in FRAMEWORK_OUTER:
        if type(layer).__name__ != name:
            raise RuntimeError(
                f"FastAPI's middleware stack changed: {name} expected, got {layer!r}"
            )
        layer = layer.app
    return layer  # type: ignore[no-any-return]  # an ASGI app, as each layer's `app` is


def skip_framework_layers(app: FastAPI) -> None:
    """Build `app`'s middleware stack now, inside FastAPI's outer layers. Call last: like
    any started Starlette app, it takes no middleware or exception handler afterwards."""
    app.middleware_stack = inside_framework_layers(app.build_middleware_stack())
