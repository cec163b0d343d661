-- Read models hold names, numbers and e-mails sealed under each resident's data key
-- (commands::vault::Personal), so a copy of the database holds no one's details in clear. The
-- officers' look-up finds residents through blind indexes instead: keyed hashes of the number
-- and of every word prefix of the name (commands::vault::search).
ALTER TABLE resident_accounts
    ADD COLUMN phone_key bigint,
    ADD COLUMN name_keys bigint[] NOT NULL DEFAULT '{}';

DROP INDEX resident_accounts_phone;
CREATE INDEX resident_accounts_phone_key ON resident_accounts (phone_key);
CREATE INDEX resident_accounts_name_keys ON resident_accounts USING gin (name_keys);

-- The two read models written in clear until now are emptied and start again from the first
-- event: the projector rebuilds them, sealed and indexed, when `serve` starts.
TRUNCATE resident_accounts, account_verification_queue, password_reset_queue, legacy_accounts, legacy_documents,
    legacy_access_grants, status_board, work_queue, sla_closed_days, sla_outages;
DELETE FROM projection_checkpoints WHERE projection IN ('resident_accounts', 'service_requests');
