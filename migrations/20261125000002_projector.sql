-- One checkpoint per projection: the last event it has applied, in the projector's order
-- (transaction_id, global_position). Written in the same transaction as the projection's
-- rows, so a crash can never apply an event twice or lose one.
CREATE TABLE projection_checkpoints
(
    projection          text PRIMARY KEY,
    last_transaction_id xid8        NOT NULL DEFAULT '0',
    last_position       bigint      NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
