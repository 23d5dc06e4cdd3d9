"""`--max` is a count of at least 1: a run takes every message present and acts on the
first `--max`, so a negative one, were it taken, would act on all but the last few
(`purge --max -1 --yes` deleted every message but one)."""

from __future__ import annotations

import aio_pika
import pytest
from wallet_infra.messaging.topology import AUDIT_DLQ_NAME
from wallet_ops.dlq.operations import Selection

from .test_ops_dlq import Cli, _depth, channel, cli, vhost_url  # noqa: F401
from .test_ops_dlq_order_kept import _dead_letter_three


@pytest.mark.integration
@pytest.mark.parametrize("count", ["-1", "0", "x"])
async def test_a_max_below_one_is_a_usage_error_and_nothing_is_taken(
    count: str,
    vhost_url: str,  # noqa: F811
    channel: aio_pika.abc.AbstractChannel,  # noqa: F811
    cli: Cli,  # noqa: F811
) -> None:
    await _dead_letter_three(vhost_url, channel)

    with pytest.raises(SystemExit) as refused:
        await cli("purge", "--max", count, "--yes")

    assert refused.value.code == 2
    assert await _depth(channel, AUDIT_DLQ_NAME) == 3


@pytest.mark.parametrize("count", [-1, 0])
def test_a_selection_of_fewer_than_one_message_is_refused(count: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Selection(max_messages=count)
