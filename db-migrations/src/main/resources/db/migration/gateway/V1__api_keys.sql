-- API keys of tenants. Only a SHA-256 of each key is kept: a leaked table does not leak a usable key.
CREATE TABLE api_keys (
    id         uuid        PRIMARY KEY,
    key_hash   char(64)    NOT NULL UNIQUE,
    tenant     text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('admin', 'user')),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE INDEX api_keys_tenant ON api_keys (tenant);
