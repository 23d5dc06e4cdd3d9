"""One error model for the API: a code→status registry and one envelope builder (§6)."""
