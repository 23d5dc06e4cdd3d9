"""`std_uuid`: asyncpg's UUIDs as plain `uuid.UUID`s, equal to and encoded like the ones
the standard constructor builds (orjson refuses asyncpg's own)."""

from __future__ import annotations

import pickle
import uuid

import asyncpg  # type: ignore[import-untyped]
import orjson
import pytest
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.std_uuid import std_uuid


async def test_an_asyncpg_uuid_becomes_a_plain_one(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        read = await connection.fetchval("SELECT gen_random_uuid()")
    finally:
        await connection.close()
    assert type(read) is not uuid.UUID
    with pytest.raises(TypeError):
        orjson.dumps(read)
    expected = uuid.UUID(str(read))
    converted = std_uuid(read)
    assert type(converted) is uuid.UUID
    assert converted == expected
    assert hash(converted) == hash(expected)
    assert str(converted) == str(expected)
    assert orjson.dumps(converted) == orjson.dumps(expected)
    assert converted.is_safe is uuid.SafeUUID.unknown
    assert pickle.loads(pickle.dumps(converted)) == expected  # noqa: S301 - our own bytes
    assert converted.version == expected.version


def test_a_plain_uuid_comes_back_equal_and_immutable() -> None:
    original = uuid.uuid4()
    converted = std_uuid(original)
    assert converted == original
    with pytest.raises(TypeError):
        converted.int = 1  # type: ignore[misc]


def test_a_generated_id_is_a_plain_time_ordered_uuid_like_the_constructors() -> None:
    first, second = UuidV7Generator().new_id(), UuidV7Generator().new_id()
    assert type(first) is uuid.UUID
    assert first == uuid.UUID(str(first))
    assert orjson.dumps(first) == orjson.dumps(uuid.UUID(str(first)))
    assert first.version == 7
    assert first < second
