-- The statements one payment runs, in the same two transactions as the API (see
-- packages/infra/src/wallet_infra/persistence): claim key + debit + ledger + outbox,
-- then settle + outbox + store the reply. pgbench's rate for this is the ceiling the
-- API is compared against.
\set uid random(1, :wallets)
\set k random(1, 4000000000000000000)
BEGIN;
WITH claimed AS (
    INSERT INTO idempotency_keys (user_id, key, fingerprint, state, payment_id, created_at)
    VALUES ('bench-' || :uid::text, 'pgb-' || :k::text, md5(:k::text), 'IN_PROGRESS', gen_random_uuid(), now())
    ON CONFLICT (user_id, key) DO NOTHING RETURNING payment_id)
SELECT true AS claimed, payment_id AS pid FROM claimed
UNION ALL
SELECT false, k.payment_id FROM idempotency_keys k
    WHERE k.user_id = 'bench-' || :uid::text AND k.key = 'pgb-' || :k::text AND NOT EXISTS (SELECT FROM claimed) \gset
UPDATE wallet_balances SET balance = balance - 1, updated_at = now()
    WHERE user_id = 'bench-' || :uid::text AND currency = 'USD' AND balance >= 1 RETURNING balance;
INSERT INTO transactions (id, user_id, type, status, amount, currency, provider_id, external_reference, created_at, updated_at)
    VALUES (:pid::uuid, 'bench-' || :uid::text, 'PAYMENT', 'PENDING', -1, 'USD', '01890a5d-ac96-774b-bcce-b302099a8057', 'pgbench', now(), now());
INSERT INTO outbox (event_id, event_type, aggregate_id, user_id, occurred_at, schema_version, payload)
    VALUES (gen_random_uuid(), 'payment.created', :pid::uuid, 'bench-' || :uid::text, now(), 1,
            '{"transaction_id": "x", "type": "PAYMENT", "status": "PENDING", "amount": 1, "currency": "USD"}'::jsonb);
COMMIT;
BEGIN;
UPDATE transactions SET status = 'APPROVED', updated_at = now()
    WHERE id = :pid::uuid AND status = 'PENDING' RETURNING id, user_id, type, status, amount, currency, provider_id, external_reference, reference, refund_of, created_at, updated_at;
INSERT INTO outbox (event_id, event_type, aggregate_id, user_id, occurred_at, schema_version, payload)
    VALUES (gen_random_uuid(), 'payment.completed', :pid::uuid, 'bench-' || :uid::text, now(), 1,
            '{"transaction_id": "x", "type": "PAYMENT", "status": "APPROVED", "amount": 1, "currency": "USD"}'::jsonb);
UPDATE idempotency_keys SET state = 'COMPLETED', response_status = 201, response_body = '\x7b7d'::bytea, completed_at = now()
    WHERE user_id = 'bench-' || :uid::text AND key = 'pgb-' || :k::text;
COMMIT;
