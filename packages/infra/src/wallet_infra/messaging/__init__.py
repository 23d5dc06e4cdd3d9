"""RabbitMQ messaging (docs/events.md): the one topology declaration, the envelope codec, the broker
factory and the outbox publisher. Import the submodules directly; this package re-exports
nothing so that importing the codec never drags in a broker connection's dependencies."""
