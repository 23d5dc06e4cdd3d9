"""Operational endpoints' machinery: HTTP metrics and background jobs."""
