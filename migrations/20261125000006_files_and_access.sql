-- Stored files (owner: commands::files). Bytes live encrypted in object storage; this table
-- says whose they are and whether an upload has been used yet.
CREATE TABLE stored_files
(
    file_id        uuid PRIMARY KEY,
    content_type   text        NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    byte_size      bigint      NOT NULL CHECK (byte_size > 0),
    sha256         bytea       NOT NULL,
    storage_key    text        NOT NULL,
    -- Who may attach it: an anonymous upload token, a resident, or the office.
    uploaded_by    text        NOT NULL,
    client_address text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- Unattached uploads expire; attaching is single-use.
    attach_before  timestamptz,
    -- Once attached: what it belongs to, e.g. 'Account:<id>', 'LegacyAccount:<id>'.
    attached_to    text,
    attached_at    timestamptz
);

CREATE INDEX stored_files_attached_to ON stored_files (attached_to) WHERE attached_to IS NOT NULL;
CREATE INDEX stored_files_rate ON stored_files (client_address, created_at);
CREATE INDEX stored_files_unattached ON stored_files (attach_before) WHERE attached_to IS NULL;

-- Who looked at which personal document, when and why. Append-only, like the events.
CREATE TABLE document_access_log
(
    access_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id        uuid        NOT NULL,
    viewer_kind    text        NOT NULL,
    viewer_id      uuid        NOT NULL,
    viewer_role    text        NOT NULL,
    purpose        text        NOT NULL,
    client_address text,
    viewed_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX document_access_log_file ON document_access_log (file_id, access_id);
CREATE INDEX document_access_log_viewer ON document_access_log (viewer_id, access_id);

CREATE TRIGGER document_access_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON document_access_log
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER document_access_log_no_truncate
    BEFORE TRUNCATE ON document_access_log
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Captchas are checked server-side so any API instance can verify them; single use.
CREATE TABLE captchas
(
    captcha_id  uuid PRIMARY KEY,
    answer_hash bytea       NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE INDEX captchas_expires_at ON captchas (expires_at);

-- Upload tokens let someone without an account (yet) upload registration documents, after
-- solving a captcha; each allows a few uploads for a short time.
CREATE TABLE upload_tokens
(
    token_hash   bytea PRIMARY KEY,
    uploads_left int         NOT NULL CHECK (uploads_left >= 0),
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Failed sign-in attempts, per NIK (keyed hash) and per client address, for progressive delay.
CREATE TABLE sign_in_failures
(
    throttle_key text        NOT NULL,
    failed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sign_in_failures_key ON sign_in_failures (throttle_key, failed_at);
