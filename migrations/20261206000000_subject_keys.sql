-- One data key per data subject (a resident account, a staff member): the personal fields of
-- their events are sealed with it (commands::vault). Keys are stored only wrapped by a
-- key-encryption key from configuration (PERSONAL_DATA_KEYS, named by `kek_id` so it can be
-- rotated). Destroying a subject's key (erasure) is the one way personal data leaves an
-- append-only history: the events stay, their sealed fields can no longer be opened.
--
-- This table is deliberately NOT append-only: a destroyed key's bytes must really go.
CREATE TABLE subject_keys (
    key_id       uuid        PRIMARY KEY,
    subject_id   uuid        NOT NULL,
    kek_id       text,
    wrapped_key  bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL)),
    CHECK ((kek_id IS NULL) = (wrapped_key IS NULL))
);

-- A subject has at most one live key; after erasure a new registration gets a new one.
CREATE UNIQUE INDEX subject_keys_live ON subject_keys (subject_id) WHERE destroyed_at IS NULL;

-- A stored file whose bytes were deleted (erasure of its owner, or its retention period ended).
-- The record stays — type, size, SHA-256 — so the history that names the file stays verifiable;
-- its download name (which may hold a name) goes with the bytes.
ALTER TABLE stored_files ADD COLUMN erased_at timestamptz;
