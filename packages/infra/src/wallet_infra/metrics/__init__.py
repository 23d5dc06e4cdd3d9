"""Business metrics adapters (Prometheus)."""
