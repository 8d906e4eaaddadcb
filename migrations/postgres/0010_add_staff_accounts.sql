-- Staff accounts of the workspace in the browser (`intake serve`) and their sessions.
-- A password is kept only as an argon2id hash (PHC string); a session only as the SHA-256 of its
-- token (the token itself lives in the person's cookie). Failed sign-ins count towards a
-- lock-out; sign-ins and sign-outs are in the audit log (events).
CREATE TABLE staff_accounts (
    id               BIGSERIAL PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    failed_sign_ins  INTEGER NOT NULL DEFAULT 0,
    locked_until     TIMESTAMPTZ,
    disabled_at      TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    last_sign_in_at  TIMESTAMPTZ
);

CREATE TABLE staff_sessions (
    token_hash    TEXT PRIMARY KEY,
    account_id    BIGINT NOT NULL REFERENCES staff_accounts(id),
    csrf          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_sessions_account ON staff_sessions (account_id);
