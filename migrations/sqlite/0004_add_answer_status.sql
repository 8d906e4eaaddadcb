-- What became of each partner answer: counted, needs_reading (the consultation waits for staff),
-- held (not counted: no matching consultation, no token or thread, not the partner's registered
-- address, not authenticated), automatic (a receipt or absence notice) or note (only thanks).
-- `hold` is the held reason as a code (the Dutch text stays in hold_reason), `highlight` what in
-- an unclear answer objects, `authentication` how the sender was authenticated (or why not).
ALTER TABLE consultation_answers ADD COLUMN status TEXT NOT NULL DEFAULT 'counted';
ALTER TABLE consultation_answers ADD COLUMN hold TEXT;
ALTER TABLE consultation_answers ADD COLUMN highlight TEXT;
ALTER TABLE consultation_answers ADD COLUMN authentication TEXT;
UPDATE consultation_answers SET status = CASE
    WHEN accepted AND verdict IS NULL THEN 'needs_reading'
    WHEN accepted THEN 'counted'
    ELSE 'held' END;
CREATE INDEX consultation_answers_status ON consultation_answers (status);
