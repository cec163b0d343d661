-- The notification outbox: messages derived from events by the `notifications` projection and
-- delivered by the worker of any `serve` instance. Not a rebuildable read model: its rows
-- record what was (or will be) sent, so `replay` never touches them and never sends again.

-- Who can be reached and how, folded from account events. The NIK is kept masked only.
CREATE TABLE notification_recipients (
    account_id uuid PRIMARY KEY,
    full_name text NOT NULL,
    nik_masked text NOT NULL,
    phone text NOT NULL,
    email text,
    whatsapp_enabled boolean NOT NULL DEFAULT true,
    email_enabled boolean NOT NULL DEFAULT true
);

-- What a request's messages mention, from its submission.
CREATE TABLE notification_requests (
    request_id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    number text NOT NULL,
    service_name text NOT NULL,
    -- document code -> label, for naming the documents of a re-upload demand
    document_labels jsonb NOT NULL
);

CREATE TABLE notification_outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- '<global position of the event>:<CHANNEL>': sent to the far side, which can drop a
    -- duplicate caused by a crash between sending and recording.
    idempotency_key text NOT NULL UNIQUE,
    event_position bigint NOT NULL,
    account_id uuid NOT NULL,
    request_id uuid,
    channel text NOT NULL CHECK (channel IN ('WHATSAPP', 'EMAIL')),
    recipient text NOT NULL,
    template text NOT NULL,
    params jsonb NOT NULL,
    -- the reset code, sealed (the event's `sealed_code`); opened only at delivery
    sealed_secret text,
    -- a message not worth sending after this instant (a reset code past its validity)
    expires_at timestamptz,
    state text NOT NULL CHECK (state IN ('PENDING', 'SENT', 'DEAD', 'SKIPPED')),
    -- why SKIPPED (OPTED_OUT, EXPIRED) or DEAD (REFUSED, ATTEMPTS, UNREADABLE)
    reason text,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    -- a worker is delivering it until then; a crashed worker's lease runs out
    leased_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    finished_at timestamptz
);

CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at, id) WHERE state = 'PENDING';
CREATE INDEX notification_outbox_dead ON notification_outbox (finished_at DESC, id DESC) WHERE state = 'DEAD';
CREATE INDEX notification_outbox_request ON notification_outbox (request_id) WHERE request_id IS NOT NULL;

-- Messages are derived only from events recorded after this instant: a database that
-- existed before notifications does not message every resident about its whole past.
CREATE TABLE notification_outbox_start (
    started_at timestamptz NOT NULL
);
INSERT INTO notification_outbox_start VALUES (now());
