"""Disputes: open and evidence requests, the dispute as shown, and a page of them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final
from uuid import UUID

from pydantic import Field, StrictStr
from wallet_domain.model.dispute import (
    MAX_EVIDENCE_ITEMS,
    MAX_EVIDENCE_TEXT,
    MAX_REASON,
    DisputeStatus,
)

from wallet_api.schemas.base import RequestBody, ResponseBody
from wallet_api.schemas.constraints import printable_rule

DISPUTE_STATUS_RULE: Final[dict[str, Any]] = {"enum": [s.value for s in DisputeStatus]}

# Prose, so control characters such as newlines are allowed; NUL and lone surrogates
# are not (the domain's validate_evidence). The pattern names NUL only: a surrogate range
# is no regex to most JSON Schema validators (ECMA-262 with `u`, Rust's), and one that
# cannot compile the pattern drops it, so clients' validators (and the fuzz test) took
# a NUL text as valid.
EVIDENCE_TEXT_RULE: Final[dict[str, Any]] = {
    "minLength": 1,
    "maxLength": MAX_EVIDENCE_TEXT,
    "pattern": r"^[^\x00]+$",
    "description": "prose: newlines and tabs allowed; no NUL, no lone surrogate",
}
EvidenceText = Annotated[StrictStr, Field(json_schema_extra=EVIDENCE_TEXT_RULE)]
EvidenceList = Annotated[
    list[EvidenceText],
    Field(json_schema_extra={"maxItems": MAX_EVIDENCE_ITEMS}),
]


class DisputeIn(RequestBody):
    reason: Annotated[StrictStr, Field(json_schema_extra=printable_rule(MAX_REASON))]
    evidence: (
        Annotated[EvidenceList, Field(description="texts supporting the claim (at most 20)")] | None
    ) = None


class EvidenceIn(RequestBody):
    evidence: Annotated[
        EvidenceList,
        Field(
            description="texts to append (1-20; at most 20 in a dispute's life)",
            json_schema_extra={"minItems": 1},
        ),
    ]


class DisputeOut(ResponseBody):
    id: UUID
    payment_id: UUID
    user_id: str
    status: str
    amount: int
    currency: str
    reason: str
    evidence: list[str]
    evidence_forwarded: int = Field(
        description="how many of the evidence texts (the first ones) the provider has"
        " confirmed it holds; the recovery worker sends it the rest"
    )
    created_at: datetime
    updated_at: datetime


class DisputePage(ResponseBody):
    items: list[DisputeOut]
    next_cursor: str | None
