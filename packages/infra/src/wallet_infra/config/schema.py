"""The schema version this code is written against (checked read-only by `/readyz`)."""

from __future__ import annotations

from typing import Final

# The highest `migrations/NNNN_*.up.sql` number. The app never migrates; it only refuses
# to report ready against a database at another version or left dirty by a failed run.
EXPECTED_SCHEMA_VERSION: Final = 38
