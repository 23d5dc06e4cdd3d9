"""How many workers a server runs: the app's own setting, else `WEB_CONCURRENCY`, else
one; a `WEB_CONCURRENCY` that is no count refuses the start with its name and value."""

from __future__ import annotations

import pytest
from wallet_infra.http_server.workers import worker_count


def test_the_apps_own_setting_wins_over_web_concurrency() -> None:
    assert worker_count(3, {"WEB_CONCURRENCY": "2"}) == 3


def test_web_concurrency_sets_the_count_when_the_app_sets_none() -> None:
    assert worker_count(None, {"WEB_CONCURRENCY": "2"}) == 2


def test_one_worker_when_nothing_is_set() -> None:
    assert worker_count(None, {}) == 1
    assert worker_count(None, {"WEB_CONCURRENCY": ""}) == 1


@pytest.mark.parametrize("text", ["0", "-1", "two", "1.5"])
def test_a_web_concurrency_that_is_no_count_refuses_the_start(text: str) -> None:
    with pytest.raises(ValueError, match=f"WEB_CONCURRENCY.*{text}"):
        worker_count(None, {"WEB_CONCURRENCY": text})
