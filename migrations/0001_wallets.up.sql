-- One wallet per user; one balance row per (user, currency). A balance never goes negative.
CREATE TABLE wallets (
    user_id    text        PRIMARY KEY CONSTRAINT wallets_user_id_format CHECK (user_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE wallet_balances (
    user_id    text        NOT NULL REFERENCES wallets (user_id),
    currency   char(3)     NOT NULL CONSTRAINT wallet_balances_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    balance    bigint      NOT NULL DEFAULT 0 CONSTRAINT wallet_balances_non_negative CHECK (balance >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT wallet_balances_pkey PRIMARY KEY (user_id, currency)
);
