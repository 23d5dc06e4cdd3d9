"""Pure ASGI middlewares (no BaseHTTPMiddleware: no extra task or body copy per request)."""
