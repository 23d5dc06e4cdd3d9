"""Handler parameters taken from FastStream's context on the event loop, not in a thread.

fast_depends awaits a `CustomField` whose `use` is async but runs a sync one, as
`faststream.Context.use` is, through `anyio.to_thread.run_sync`. A subscriber taking the
message (`RabbitMessage`) that way paid a thread hop per delivery (with dishka's `@inject`,
which added a context parameter, two): ~13% of the audit consumer's CPU under load, plus
the GIL handovers, which stretch every delivery's latency once the process is busy.
Reading a context entry never blocks, so it runs inline here.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from fast_depends.library import CustomField
from faststream import Context
from faststream.rabbit.message import RabbitMessage


class InlineContext(CustomField):
    """`faststream.Context(name)` (same lookup rules, delegated to it), resolved without
    leaving the event loop."""

    def __init__(self, name: str) -> None:
        super().__init__(cast=False, required=True)
        self._context: CustomField = Context(name)

    def set_param_name(self, name: str) -> Self:
        self._context.set_param_name(name)
        return super().set_param_name(name)

    async def use(self, /, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return self._context.use(**kwargs)


# The delivery being handled.
Delivery = Annotated[RabbitMessage, InlineContext("message")]
