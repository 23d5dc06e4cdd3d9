"""API-key authentication and wallet scoping (docs/api.md, Authentication)."""
