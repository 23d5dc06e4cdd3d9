"""Operational endpoints' machinery: HTTP metrics, readiness checks, background jobs."""
