"""Conditional requests: ETags on reads (If-None-Match -> 304) and If-Match on a
wallet's money-moving writes (-> 412 PRECONDITION_FAILED, see the domain's
wallet_precondition).

A wallet's ETag is its version (`"v<N>"`, N grows with every change of any of its
balances): the same tag on GET /wallets/{user_id} and on .../balance, and the one
If-Match takes. A payment's, hold's or transfer's ETag is a digest of the body it
comes with, so it changes whenever what the client sees does (its status first).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final

from starlette.responses import Response
from wallet_domain.errors import ValidationError
from wallet_domain.model.wallet_version import WalletCondition

from wallet_api.http.entity_tags import ANY, EntityTag, MalformedTags, parse_tags
from wallet_api.http.json import dumps

ETAG_HEADER: Final = "ETag"
IF_MATCH_HEADER: Final = "If-Match"
IF_NONE_MATCH_HEADER: Final = "If-None-Match"
_WALLET_TAG: Final = re.compile(r"v(0|[1-9][0-9]{0,17})")  # fits a bigint


def wallet_etag(version: int) -> EntityTag:
    return EntityTag(f"v{version}")


def body_etag(body: bytes) -> EntityTag:
    return EntityTag(hashlib.blake2b(body, digest_size=16).hexdigest())


def wallet_condition(if_match: str | None) -> WalletCondition | None:
    """The wallet versions an If-Match accepts (strong comparison: a weak tag matches
    none); None without one, and for `*` (any current wallet: one that does not exist is
    404 anyway). A header that is not a list of tags is VALIDATION_ERROR."""
    if if_match is None:
        return None
    try:
        tags = parse_tags(if_match)
    except MalformedTags:
        raise ValidationError(
            "If-Match must be * or a list of entity tags", field=IF_MATCH_HEADER
        ) from None
    if tags == ANY:
        return None
    versions = set()
    for tag in tags:
        version = None if tag.weak else _WALLET_TAG.fullmatch(tag.opaque)
        if version is not None:
            versions.add(int(version.group(1)))
    return WalletCondition(frozenset(versions))


def not_modified(if_none_match: str | None, etag: EntityTag) -> bool:
    """Whether If-None-Match names the current representation (weak comparison, `*` for
    any). A header that cannot be read is ignored: the full response is always safe."""
    if if_none_match is None:
        return False
    try:
        tags = parse_tags(if_none_match)
    except MalformedTags:
        return False
    return tags == ANY or any(tag.opaque == etag.opaque for tag in tags)


def conditional_json(
    content: Any, *, if_none_match: str | None, etag: EntityTag | None = None
) -> Response:
    """`content` as JSON with its ETag (`etag`, else a digest of the body), or 304 with
    the ETag and no body when the client already has it."""
    body = dumps(content)
    tag = etag or body_etag(body)
    headers = {ETAG_HEADER: str(tag)}
    if not_modified(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
