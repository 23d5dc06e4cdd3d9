"""RecentAnsweredKeys: the process's bounded hint of keys holding a reply."""

from __future__ import annotations

import pytest
from wallet_infra.answered_keys import RecentAnsweredKeys


def test_a_noted_key_is_noted_until_forgotten_and_scoped_per_user() -> None:
    keys = RecentAnsweredKeys(capacity=10)
    keys.note("alice", "k1")

    assert keys.noted("alice", "k1")
    assert not keys.noted("bob", "k1")
    assert not keys.noted("alice", "k2")
    keys.forget("alice", "k1")
    keys.forget("alice", "never-noted")  # forgetting what is not there is no error
    assert not keys.noted("alice", "k1")


def test_the_least_recently_used_key_is_pushed_out_at_capacity() -> None:
    keys = RecentAnsweredKeys(capacity=2)
    keys.note("alice", "old")
    keys.note("alice", "asked-again")
    assert keys.noted("alice", "old")  # used: "asked-again" is now the least recent

    keys.note("alice", "new")

    assert keys.noted("alice", "old")
    assert keys.noted("alice", "new")
    assert not keys.noted("alice", "asked-again")


def test_a_long_key_costs_no_more_than_a_short_one() -> None:
    keys = RecentAnsweredKeys(capacity=1)
    keys.note("alice", "k" * 255)
    assert keys.noted("alice", "k" * 255)
    [kept] = keys._keys  # what is kept per key is the point here
    assert isinstance(kept, int)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RecentAnsweredKeys(capacity=0)
