-- When an erasure of the resident's personal data was filed and is waiting for a supervisor's
-- approval (NULL otherwise), so the officers' look-up can show it.
ALTER TABLE resident_accounts ADD COLUMN erasure_requested_at timestamptz;
