-- Tamper evidence (owner: projections::chain): each event's hash covers the previous one's, in
-- the projector's order. Not a rebuildable read model: `replay` never recomputes it, so an
-- altered event no longer matches the hash recorded when it was first projected.
CREATE TABLE event_chain
(
    chain_index     bigint PRIMARY KEY,
    global_position bigint      NOT NULL UNIQUE,
    event_hash      bytea       NOT NULL,
    previous_hash   bytea       NOT NULL
);

CREATE TRIGGER event_chain_no_update_or_delete
    BEFORE UPDATE OR DELETE ON event_chain
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER event_chain_no_truncate
    BEFORE TRUNCATE ON event_chain
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Who looked at unmasked personal data in the history, and for what (owner: api, via
-- projections::audit). Append-only.
CREATE TABLE audit_log
(
    audit_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    viewer_id   uuid        NOT NULL,
    viewer_role text        NOT NULL,
    action      text        NOT NULL,
    subject     text        NOT NULL,
    viewed_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- History queries by actor and by type.
CREATE INDEX events_actor ON events ((metadata->>'actor_id'), transaction_id, global_position);
CREATE INDEX events_type ON events (event_type, transaction_id, global_position);
CREATE INDEX events_stream ON events (aggregate_id, transaction_id, global_position);

-- The refusal now names the table it protects (it guards several since this migration).
CREATE OR REPLACE FUNCTION events_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'the % table is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
