"""Request and response models. Requests are strict (no coercion, no unknown fields);
range, currency and format rules are the domain's, so they live in one place."""
