"""Dead-letter queues: look at what was dead-lettered and why, move it back, or drop it.

Works on a DLQ of the topology over AMQP (no management plugin needed). Messages are taken
with manual acks and every one not acted on is returned to its DLQ, so an interrupted run
loses nothing. A replay republishes a message to the exchange and routing key it was first
published with (persistent, mandatory, with publisher confirms) and only then removes it
from the DLQ: at-least-once, like the rest of the pipeline; consumers dedupe by event id,
but only within the inbox retention, hence the refusal of older events.
"""
