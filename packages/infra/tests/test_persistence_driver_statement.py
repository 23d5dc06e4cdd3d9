"""`DriverStatement`: SQLAlchemy compiles the SQL once, and a statement the raw driver
would run wrongly (a bind SQLAlchemy would have converted, one it left unbound, one it
finishes only per call) is refused when it is made, at import."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import bindparam, func, select, text
from wallet_infra.persistence.driver import DriverStatement
from wallet_infra.persistence.statements.payment_book import (
    OPEN,
    SETTLE_APPROVED,
    SETTLE_REFUNDED,
)
from wallet_infra.persistence.tables import outbox


def test_text_binds_become_numbered_in_order_of_first_use() -> None:
    statement = DriverStatement(text("SELECT :b, CAST(:a AS int), :b || NULL::text"))
    assert statement.sql == "SELECT $1, CAST($2 AS int), $1 || NULL::text"
    assert statement.names == ("b", "a")
    assert statement.args({"a": 1, "b": "x", "unused": 0}) == ["x", 1]


def test_core_binds_are_numbered_too() -> None:
    statement = DriverStatement(
        select(outbox.c.event_id).where(outbox.c.user_id == bindparam("uid")).limit(bindparam("n"))
    )
    assert re.findall(r"\$\d+", statement.sql) == ["$1", "$2"]
    assert statement.names == ("uid", "n")


@pytest.mark.parametrize("statement", [OPEN, SETTLE_APPROVED, SETTLE_REFUNDED])
def test_every_number_of_a_payment_statement_has_its_name(statement: DriverStatement) -> None:
    numbers = {int(n) for n in re.findall(r"\$(\d+)", statement.sql)}
    assert numbers == set(range(1, len(statement.names) + 1))
    assert len(set(statement.names)) == len(statement.names)


def test_a_bind_sqlalchemy_would_convert_is_refused() -> None:
    with pytest.raises(TypeError, match="payload"):
        DriverStatement(outbox.insert())  # JSONB: SQLAlchemy serialises the value first


def test_an_expanding_bind_is_refused() -> None:
    expanding = bindparam("ids", expanding=True)
    with pytest.raises(TypeError, match="per call"):
        DriverStatement(select(outbox.c.event_id).where(outbox.c.event_id.in_(expanding)))


def test_a_name_sqlalchemy_left_unbound_is_refused() -> None:
    with pytest.raises(ValueError, match=":limit is not a bind"):
        DriverStatement(text("SELECT 1 LIMIT :limit::int"))


def test_a_bind_with_a_value_of_its_own_is_refused() -> None:
    """A Python constant becomes a bind whose value no call passes (`coalesce(x, 0)`)."""
    with pytest.raises(TypeError, match="value of their own"):
        DriverStatement(select(func.coalesce(outbox.c.attempts, 0)))
