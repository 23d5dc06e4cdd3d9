"""Operator tools, run by hand or as periodic jobs: `wallet-admin` (dead-letter queues)
and `wallet-reconcile` (the ledger against the provider's record)."""
