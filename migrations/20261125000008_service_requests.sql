-- Human receipt numbers (KH-YYYY-NNNNNN): unique, gaps allowed.
CREATE SEQUENCE service_request_number_seq;

-- Read models (owner: projections::service_requests).

-- The resident's status board: one row per request.
CREATE TABLE status_board
(
    request_id       uuid PRIMARY KEY,
    account_id       uuid        NOT NULL,
    number           text        NOT NULL UNIQUE,
    service_code     text        NOT NULL,
    service_name     text        NOT NULL,
    outcome          text        NOT NULL,
    status           text        NOT NULL,
    submitted_at     timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    -- [{code, label, reason, answered}]
    reupload_items   jsonb       NOT NULL DEFAULT '[]',
    -- [file id, …] of the finished documents
    result_files     jsonb       NOT NULL DEFAULT '[]',
    pickup_place     text,
    pickup_from      timestamptz,
    collected_at     timestamptz,
    rejection_reason text
);

-- myRequests: newest first per resident.
CREATE INDEX status_board_account ON status_board (account_id, submitted_at DESC, request_id DESC);

-- The staff work queue: one row per request, ordered by SLA due time.
CREATE TABLE work_queue
(
    request_id     uuid PRIMARY KEY,
    number         text        NOT NULL,
    service_code   text        NOT NULL,
    service_name   text        NOT NULL,
    account_id     uuid        NOT NULL,
    applicant_name text        NOT NULL,
    status         text        NOT NULL,
    claimed_by     uuid,
    submitted_at   timestamptz NOT NULL,
    -- Re-upload pauses of the SLA clock: [[start, end-or-null], …]
    pauses         jsonb       NOT NULL DEFAULT '[]',
    -- Null while the clock is stopped (re-upload open, or an outage without end).
    due_at         timestamptz,
    closed_at      timestamptz,
    updated_at     timestamptz NOT NULL
);

-- The queue's page: open requests by due time (paused ones last).
CREATE INDEX work_queue_due ON work_queue (due_at NULLS LAST, request_id) WHERE closed_at IS NULL;
CREATE INDEX work_queue_status ON work_queue (status, due_at NULLS LAST, request_id);
CREATE INDEX work_queue_claimed ON work_queue (claimed_by, due_at NULLS LAST, request_id) WHERE closed_at IS NULL;

-- The SLA clock's own copy of the office calendar, so due times depend only on the events
-- this projection has applied (replay gives exactly what live projection gave).
CREATE TABLE sla_closed_days
(
    closed_day date PRIMARY KEY
);

CREATE TABLE sla_outages
(
    declared_at timestamptz PRIMARY KEY,
    ended_at    timestamptz
);
