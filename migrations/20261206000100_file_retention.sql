-- When each attached file's purpose was fulfilled, folded from the events by the
-- `file_retention` projection: identity photos when the registration or password reset was
-- decided, a request's documents when the request was closed, a result document from its
-- completion. Housekeeping deletes the bytes a configured time after (commands::retention).
CREATE TABLE file_retention (
    file_id          uuid        PRIMARY KEY,
    kind             text        NOT NULL CHECK (kind IN ('IDENTITY', 'REQUEST', 'RESULT')),
    -- the account (identity photos) or the request (its documents and results)
    owner            uuid        NOT NULL,
    purpose_ended_at timestamptz
);

CREATE INDEX file_retention_due ON file_retention (kind, purpose_ended_at) WHERE purpose_ended_at IS NOT NULL;
CREATE INDEX file_retention_open ON file_retention (owner) WHERE purpose_ended_at IS NULL;
