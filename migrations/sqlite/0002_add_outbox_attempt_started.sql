-- When the current attempt to send an outbox row began; cleared when its outcome is recorded
-- (sent, retry, failed). Still set when a worker claims the row again: the previous attempt was
-- cut off (a crash between handing the mail to SMTP and recording it), so the letter may have
-- left already and is looked up in the sent folder before it is sent again.
ALTER TABLE outbox ADD COLUMN attempt_started_at TEXT;
