"""API-key authentication and wallet scoping (§10)."""
