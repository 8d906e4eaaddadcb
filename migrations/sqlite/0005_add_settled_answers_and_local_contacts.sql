-- Staff settle a held or unclear partner answer (`intake answer accept|reject`): who, when, why.
ALTER TABLE consultation_answers ADD COLUMN settled_by TEXT;
ALTER TABLE consultation_answers ADD COLUMN settled_at TEXT;
ALTER TABLE consultation_answers ADD COLUMN settle_note TEXT;

-- Local voices per candidate: advisory councils, client councils, local members of the partners.
-- Proposed by the intake from the letter (no address yet) or added by staff; consulted like a
-- partner once confirmed with an address (consultations.partner_id = 'local-<id>').
CREATE TABLE local_contacts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id  BIGINT NOT NULL REFERENCES submissions(id),
    name           TEXT NOT NULL,
    address        TEXT,
    kind           TEXT NOT NULL,
    source         TEXT NOT NULL,
    sentence       TEXT,
    status         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX local_contacts_submission ON local_contacts (submission_id);
