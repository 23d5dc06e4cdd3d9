"""What every event consumer shares (the rules: docs/events.md, Consuming): turning a
delivery's outcome into an acknowledgement, the HTTP probes it serves, and how it is
served. The subscribers themselves, thin inbound adapters, live in each consumer app."""
