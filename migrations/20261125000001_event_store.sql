-- The event store: the single source of truth. postgres-es writes the first seven columns;
-- the database fills the last three, which postgres-es does not know about.
CREATE TABLE events
(
    aggregate_type  text                         NOT NULL,
    aggregate_id    text                         NOT NULL,
    sequence        bigint CHECK (sequence >= 0) NOT NULL,
    event_type      text                         NOT NULL,
    event_version   text                         NOT NULL,
    payload         jsonb                        NOT NULL,
    metadata        jsonb                        NOT NULL,
    -- Total order of appends, for auditors and cursors.
    global_position bigint GENERATED ALWAYS AS IDENTITY,
    -- The appending transaction. The projector reads only rows of transactions older than
    -- every transaction still running (pg_snapshot_xmin), in (transaction_id, global_position)
    -- order: a slow transaction that took a lower position can then never be skipped.
    transaction_id  xid8                         NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at     timestamptz                  NOT NULL DEFAULT now(),
    -- Optimistic concurrency: two writers of one stream cannot both append sequence n.
    PRIMARY KEY (aggregate_type, aggregate_id, sequence),
    CONSTRAINT events_global_position_key UNIQUE (global_position)
);

-- The projector's read path: everything after a checkpoint, in commit-safe order.
CREATE INDEX events_projector_order ON events (transaction_id, global_position);

-- Append-only, enforced by the database itself, not by the application's good manners.
CREATE FUNCTION events_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'the events table is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Wakes the projector at commit (notifications are delivered only when the appending
-- transaction commits, and identical ones within a transaction are folded into one).
CREATE FUNCTION events_notify_appended() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('events_appended', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_appended
    AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify_appended();
