"""Long statements, one module per table or aggregate, kept apart from the adapters that
run them so the SQL reads as a whole: `payment_book` (a payment's two writes),
`idempotency_keys`, `consumer_inbox`. `typed` builds the typed parameter lists they share.
"""
