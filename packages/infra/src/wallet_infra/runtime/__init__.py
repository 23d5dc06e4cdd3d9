"""The one kit for a process's background work; every app uses it, none loops by hand.

- `Periodic`: a job that runs once at start and then every N seconds (purges, gauges, the
  recovery worker); a failed round is logged by its error's type and the next runs on time.
- `Backoff` / `sleep_unless_stopped`: pacing a long-running loop through an outage while
  staying stoppable at once (the relay's workers).
- `stop_on_signals`: the event a process without a server framework stops on (SIGTERM,
  SIGINT).
- `cancel_and_wait`: stopping a background task (a job, a connect loop, a listener).
- `connect_broker`: the first connection to RabbitMQ plus the topology, retried with
  stamina (bounded for consumers, until stopped for the relay).
"""

from wallet_infra.runtime.backoff import Backoff, sleep_unless_stopped
from wallet_infra.runtime.broker_connect import connect_broker, connect_broker_unless_stopped
from wallet_infra.runtime.cancel import cancel_and_wait
from wallet_infra.runtime.periodic import Periodic
from wallet_infra.runtime.stop_signals import stop_on_signals

__all__ = [
    "Backoff",
    "Periodic",
    "cancel_and_wait",
    "connect_broker",
    "connect_broker_unless_stopped",
    "sleep_unless_stopped",
    "stop_on_signals",
]
