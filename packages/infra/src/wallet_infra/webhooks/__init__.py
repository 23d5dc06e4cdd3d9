"""Provider webhooks: signature verification (Standard Webhooks) and body decoding.

Both webhook modes use these: the API verifies and applies in one request ("sync"), the
ingest service verifies and hands the body to the broker ("broker"), and the consumer
decodes what the ingest service already verified.
"""
