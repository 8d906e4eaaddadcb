-- The whole intake schema. Timestamps are UTC. JSON-ish lists are stored as TEXT (JSON).

CREATE TABLE calls (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    deadline_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- One row per mailbox: UIDVALIDITY, last committed UID and connection health.
CREATE TABLE mailbox_state (
    mailbox          TEXT PRIMARY KEY,
    uidvalidity      BIGINT NOT NULL,
    last_uid         TEXT,
    last_success_at  TEXT,
    last_error       TEXT,
    last_error_at    TEXT,
    failing_since    TEXT,
    alerted_at       TEXT,
    updated_at       TEXT NOT NULL
);

-- Leases let several daemons run redundantly: one reads the mailbox at a time.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- Every mail that entered, raw, with its recorded end state.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox         TEXT NOT NULL,
    uidvalidity     BIGINT NOT NULL,
    uid             TEXT NOT NULL,
    message_id      TEXT,
    sha256          TEXT NOT NULL,
    raw             BLOB,
    size            BIGINT NOT NULL,
    from_address    TEXT,
    from_name       TEXT,
    subject         TEXT,
    date_header     TEXT,
    arrived_at      TEXT NOT NULL,
    arrival_source  TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    duplicate_of    BIGINT REFERENCES messages(id),
    outbox_id       BIGINT,
    stored_at       TEXT NOT NULL,
    processed_at    TEXT,
    UNIQUE (mailbox, uidvalidity, uid)
);
CREATE INDEX messages_message_id ON messages (message_id);
CREATE INDEX messages_sha256 ON messages (sha256);
CREATE INDEX messages_stored_at ON messages (stored_at);

CREATE TABLE submissions (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    reference                TEXT NOT NULL UNIQUE,
    seq                      BIGINT NOT NULL,
    call_id                  TEXT NOT NULL,
    message_id               BIGINT NOT NULL REFERENCES messages(id),
    sender                   TEXT NOT NULL,
    sender_name              TEXT,
    subject                  TEXT,
    municipality_code        TEXT,
    municipality_basis       TEXT,
    municipality_confidence  TEXT,
    municipality_flags       TEXT NOT NULL,
    municipality_by_staff    BOOLEAN NOT NULL,
    arrived_at               TEXT NOT NULL,
    deadline_at              TEXT NOT NULL,
    on_time                  BOOLEAN NOT NULL,
    deadline_diff_secs       BIGINT NOT NULL,
    pages                    INTEGER,
    page_basis               TEXT,
    over_by                  INTEGER,
    non_a4                   TEXT NOT NULL,
    page_note                TEXT,
    version                  INTEGER NOT NULL,
    supersedes               BIGINT REFERENCES submissions(id),
    is_current               BOOLEAN NOT NULL,
    version_note             TEXT,
    meets_minimum            BOOLEAN NOT NULL,
    created_at               TEXT NOT NULL
);
CREATE INDEX submissions_municipality ON submissions (municipality_code);

CREATE TABLE documents (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id  BIGINT REFERENCES submissions(id),
    message_id     BIGINT NOT NULL REFERENCES messages(id),
    idx            INTEGER NOT NULL,
    origin         TEXT NOT NULL,
    name           TEXT,
    path           TEXT NOT NULL,
    format         TEXT NOT NULL,
    bytes          BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    pages          INTEGER,
    page_basis     TEXT,
    paper_w_pt     REAL,
    paper_h_pt     REAL,
    is_a4          BOOLEAN,
    status         TEXT NOT NULL,
    reason         TEXT,
    role           TEXT NOT NULL,
    chars          BIGINT NOT NULL,
    text           TEXT NOT NULL
);
CREATE INDEX documents_submission ON documents (submission_id);

CREATE TABLE claims (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id  BIGINT NOT NULL REFERENCES submissions(id),
    document_idx   INTEGER NOT NULL,
    criterion      TEXT NOT NULL,
    domain         TEXT,
    sentence       TEXT NOT NULL,
    page           INTEGER,
    byte_offset    BIGINT NOT NULL,
    matched_terms  TEXT NOT NULL,
    strength       REAL NOT NULL,
    kind           TEXT NOT NULL
);
CREATE INDEX claims_submission ON claims (submission_id);

-- Per criterion (and the principle): the machine's advice and the staff override.
CREATE TABLE assessments (
    submission_id    BIGINT NOT NULL REFERENCES submissions(id),
    criterion        TEXT NOT NULL,
    machine_verdict  TEXT NOT NULL,
    evidence         TEXT NOT NULL,
    note             TEXT NOT NULL,
    staff_verdict    TEXT,
    staff_note       TEXT,
    staff_by         TEXT,
    staff_at         TEXT,
    PRIMARY KEY (submission_id, criterion)
);

CREATE TABLE partners (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    addresses  TEXT NOT NULL
);

CREATE TABLE consultations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id     BIGINT NOT NULL REFERENCES submissions(id),
    partner_id        TEXT NOT NULL,
    token             TEXT NOT NULL UNIQUE,
    state             TEXT NOT NULL,
    verdict           TEXT,
    motivation        TEXT,
    needs_reading     BOOLEAN NOT NULL,
    request_msgid     TEXT NOT NULL,
    sent_at           TEXT NOT NULL,
    answer_by         TEXT NOT NULL,
    reminded_at       TEXT,
    answered_at       TEXT,
    closed_at         TEXT,
    staff_override    TEXT,
    UNIQUE (submission_id, partner_id)
);

-- Every answer received, counted or held, with history.
CREATE TABLE consultation_answers (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id  BIGINT REFERENCES consultations(id),
    message_id       BIGINT NOT NULL REFERENCES messages(id),
    from_address     TEXT NOT NULL,
    verdict          TEXT,
    motivation       TEXT NOT NULL,
    accepted         BOOLEAN NOT NULL,
    hold_reason      TEXT,
    received_at      TEXT NOT NULL
);

-- Transactional outbox: one row per letter, unique key, one Message-ID across retries.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    key              TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    submission_id    BIGINT,
    recipient        TEXT NOT NULL,
    sender           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    raw              BLOB NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    claimed_by       TEXT,
    claimed_until    TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    bounced_at       TEXT,
    bounce_reason    TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_message_id ON outbox (message_id);
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);

CREATE TABLE decisions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id  BIGINT NOT NULL REFERENCES submissions(id),
    decision       TEXT NOT NULL,
    note           TEXT,
    decided_by     TEXT NOT NULL,
    decided_at     TEXT NOT NULL
);

CREATE TABLE ratifications (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    office_holder  TEXT NOT NULL UNIQUE,
    ratified_at    TEXT NOT NULL,
    note           TEXT
);

CREATE TABLE digests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    for_date      TEXT NOT NULL UNIQUE,
    period_start  TEXT,
    period_end    TEXT NOT NULL,
    outbox_key    TEXT,
    created_at    TEXT NOT NULL
);

-- Audit log of every automatic and staff action.
CREATE TABLE events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    submission_id  BIGINT,
    message_id     BIGINT,
    detail         TEXT NOT NULL
);
CREATE INDEX events_submission ON events (submission_id);
