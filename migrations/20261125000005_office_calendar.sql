-- Read models (owner: projections::office_calendar): closed days and outages, for the public
-- calendar, contactInfo and the SLA clock.
CREATE TABLE office_holidays
(
    holiday_date date PRIMARY KEY,
    name         text        NOT NULL,
    kind         text        NOT NULL,
    added_at     timestamptz NOT NULL
);

CREATE TABLE office_outages
(
    declared_at timestamptz PRIMARY KEY,
    reason      text NOT NULL,
    ended_at    timestamptz
);

-- "Is an outage in progress?" without scanning the history.
CREATE UNIQUE INDEX office_outages_in_progress ON office_outages ((true)) WHERE ended_at IS NULL;
