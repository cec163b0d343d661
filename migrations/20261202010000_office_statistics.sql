-- Read model (owner: projections::office_statistics): the supervisor's dashboard figures.
-- Everything here is folded from events one at a time (incremental) and rebuilt by `replay`;
-- what depends on "now" (backlog, overdue) is read from the work queue at query time instead.

-- One row per request: when it came and when and how the office answered it. The promise
-- ("within one working day") and the time taken are decided once, when the answer is
-- recorded, by the same SLA clock as the work queue's due time, on this projection's own
-- calendar copy below.
CREATE TABLE statistics_requests
(
    request_id      uuid PRIMARY KEY,
    submitted_at    timestamptz NOT NULL,
    -- Office-local date (WIB) of submission, for per-day counts.
    submitted_on    date        NOT NULL,
    -- Re-upload pauses of the SLA clock: [[start, end-or-null], …]
    pauses          jsonb       NOT NULL DEFAULT '[]',
    -- Office-local date of the answer: completed, ready for pick-up or rejected.
    finished_on     date,
    finished_as     text CHECK (finished_as IN ('COMPLETED', 'READY_FOR_PICKUP', 'REJECTED')),
    within_promise  boolean,
    -- Seconds on the SLA clock from submission to the answer (office hours, less pauses).
    working_seconds bigint
);

CREATE INDEX statistics_requests_submitted ON statistics_requests (submitted_on);
CREATE INDEX statistics_requests_finished ON statistics_requests (finished_on) WHERE finished_on IS NOT NULL;

-- Work per officer per office-local day (counters, added to per event).
CREATE TABLE statistics_staff_days
(
    day              date   NOT NULL,
    staff_id         uuid   NOT NULL,
    finished         bigint NOT NULL DEFAULT 0,
    reupload_demands bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, staff_id)
);

-- This projection's copy of the office calendar for the SLA clock (see projections::sla).
CREATE TABLE statistics_closed_days
(
    closed_day date PRIMARY KEY
);

CREATE TABLE statistics_outages
(
    declared_at timestamptz PRIMARY KEY,
    ended_at    timestamptz
);
