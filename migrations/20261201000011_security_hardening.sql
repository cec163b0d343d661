-- Security hardening (issue J): session generations, atomic sign-in attempt reservations and
-- fixed-window rate limits. All of it is operational state owned by `commands`, not read models.

-- Every "end all sessions of this person" (role change, deactivation, password reset or
-- change) moves the person's generation on. A session is live only while it carries the
-- current generation, so a sign-in that loaded the account before the change and creates its
-- session after the revocation is still dead on arrival: the generation is read *before* the
-- account is loaded, and checked on every request.
CREATE TABLE session_subjects
(
    subject_kind text   NOT NULL CHECK (subject_kind IN ('STAFF', 'RESIDENT')),
    subject_id   uuid   NOT NULL,
    generation   bigint NOT NULL,
    PRIMARY KEY (subject_kind, subject_id)
);

ALTER TABLE sessions ADD COLUMN generation bigint NOT NULL DEFAULT 0;

-- An attempt is recorded as a failure *before* the password is checked, and removed again
-- when it succeeds: concurrent attempts can no longer all pass the check before any failure
-- is written.
ALTER TABLE sign_in_failures ADD COLUMN attempt_id uuid;
CREATE INDEX sign_in_failures_attempt ON sign_in_failures (attempt_id) WHERE attempt_id IS NOT NULL;

-- Reserves one attempt for every key, or none: returns 0 and records the attempt under
-- `attempt` when no key must wait, else the seconds the caller must still wait. Keys are
-- locked (transaction-scoped advisory locks, in a fixed order, so two callers cannot deadlock)
-- for the count and the insert, which makes check-and-record one atomic step across every API
-- instance. A key with `free` or more failures in the window waits 2^(failures - free)
-- seconds after its last failure, at most `max_delay`.
CREATE FUNCTION reserve_sign_in_attempt(keys text[], attempt uuid, at timestamptz, free int,
                                        window_minutes int, max_delay int) RETURNS bigint
    LANGUAGE plpgsql AS
$$
DECLARE
    k        text;
    failures bigint;
    last_at  timestamptz;
    ready_at timestamptz;
    wait     bigint := 0;
BEGIN
    FOR k IN SELECT DISTINCT unnest(keys) ORDER BY 1
        LOOP
            PERFORM pg_advisory_xact_lock(hashtextextended('sign-in:' || k, 0));
        END LOOP;
    FOR k IN SELECT DISTINCT unnest(keys)
        LOOP
            SELECT count(*), max(failed_at)
              INTO failures, last_at
              FROM sign_in_failures
             WHERE throttle_key = k AND failed_at > at - make_interval(mins => window_minutes);
            IF failures >= free THEN
                ready_at := last_at + make_interval(secs => least(max_delay, 2 ^ least(failures - free, 20)));
                IF ready_at > at THEN
                    wait := greatest(wait, ceil(extract(epoch FROM ready_at - at))::bigint, 1);
                END IF;
            END IF;
        END LOOP;
    IF wait > 0 THEN
        RETURN wait;
    END IF;
    INSERT INTO sign_in_failures (throttle_key, failed_at, attempt_id)
    SELECT DISTINCT unnest(keys), at, attempt;
    RETURN 0;
END
$$;

-- Fixed-window counters for rate limits and quotas (captchas per address, uploads per account:
-- count and bytes). One `INSERT … ON CONFLICT DO UPDATE … WHERE` per use is atomic: the row
-- lock serialises concurrent users of one key, so a limit can never be raced past.
CREATE TABLE rate_limits
(
    limit_key    text        NOT NULL,
    window_start timestamptz NOT NULL,
    uses         bigint      NOT NULL,
    amount       bigint      NOT NULL,
    PRIMARY KEY (limit_key, window_start)
);

-- Housekeeping of past windows.
CREATE INDEX rate_limits_window ON rate_limits (window_start);
