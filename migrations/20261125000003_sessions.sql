-- Server-side sessions, so that every session can be revoked (logout, password reset,
-- role change, deactivation). Only a SHA-256 of the token is stored: a copy of this table
-- does not let anyone sign in.
CREATE TABLE sessions
(
    token_hash   bytea PRIMARY KEY,
    subject_kind text        NOT NULL CHECK (subject_kind IN ('STAFF', 'RESIDENT')),
    subject_id   uuid        NOT NULL,
    role         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);

-- "Revoke every session of this account".
CREATE INDEX sessions_subject ON sessions (subject_kind, subject_id) WHERE revoked_at IS NULL;
-- Housekeeping of expired rows.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
