-- Mails that could not even be recorded, counted per mailbox position (issue: hardening).
CREATE TABLE mail_failures (
    mailbox      TEXT NOT NULL,
    uidvalidity  BIGINT NOT NULL,
    uid          TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    last_error   TEXT,
    first_at     TIMESTAMPTZ NOT NULL,
    last_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (mailbox, uidvalidity, uid)
);
-- The Reply-To of a nomination when it differs from From (shown to staff; never answered alone).
ALTER TABLE submissions ADD COLUMN reply_to TEXT;
-- Set when a later version came from another sender domain than the current one: it is kept,
-- not made current, until staff decide (`intake make-current`).
ALTER TABLE submissions ADD COLUMN other_sender BOOLEAN NOT NULL DEFAULT FALSE;
-- Copy recipients of a letter (a Reply-To in the sender's own domain), JSON list of addresses.
ALTER TABLE outbox ADD COLUMN cc TEXT NOT NULL DEFAULT '[]';
