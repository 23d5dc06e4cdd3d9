"""What every event consumer shares (§8): turning a delivery's outcome into an
acknowledgement, the HTTP probes it serves, and how it is served. The subscribers
themselves, thin inbound adapters, live in each consumer app."""
