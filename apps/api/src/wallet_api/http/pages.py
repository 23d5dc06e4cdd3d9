"""A page of a list (history, holds, disputes) as the API shows it: its `items`, newest
first, and the `next_cursor` to pass back as `cursor` (null on the last page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from wallet_domain.model.pagination import Page

from wallet_api.http.json import JsonResponse

Item = TypeVar("Item")


def page_response(page: Page[Item], item_json: Callable[[Item], dict[str, Any]]) -> JsonResponse:
    """`page` with each item rendered by `item_json` (the same as its single-item route)."""
    items = [item_json(item) for item in page.items]
    return JsonResponse({"items": items, "next_cursor": page.next_cursor})
