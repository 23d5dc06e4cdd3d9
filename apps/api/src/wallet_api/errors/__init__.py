"""One error model for the API: a code→status registry and one envelope builder (the
codes and the envelope: docs/api.md, Errors)."""
