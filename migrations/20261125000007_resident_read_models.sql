-- Read models (owner: projections::resident_accounts): residents' profiles, the operators'
-- verification and password-reset queues, and the old portal's accounts and grants.

CREATE TABLE resident_accounts
(
    account_id       uuid PRIMARY KEY,
    nik_masked       text        NOT NULL,
    full_name        text        NOT NULL,
    phone            text        NOT NULL,
    email            text,
    status           text        NOT NULL,
    registered_at    timestamptz NOT NULL,
    decided_at       timestamptz,
    rejection_reason text,
    last_signed_in   timestamptz
);

-- Oldest first: the queue is worked in order of arrival.
CREATE TABLE account_verification_queue
(
    account_id         uuid PRIMARY KEY,
    nik_masked         text        NOT NULL,
    full_name          text        NOT NULL,
    phone              text        NOT NULL,
    email              text,
    identity_kind      text        NOT NULL,
    identity_file      uuid        NOT NULL,
    family_card_file   uuid        NOT NULL,
    selfie_file        uuid        NOT NULL,
    registered_at      timestamptz NOT NULL
);

CREATE INDEX account_verification_queue_order ON account_verification_queue (registered_at, account_id);

CREATE TABLE password_reset_queue
(
    account_id         uuid PRIMARY KEY,
    nik_masked         text        NOT NULL,
    registered_name    text        NOT NULL,
    given_name         text        NOT NULL,
    phone              text        NOT NULL,
    identity_kind      text        NOT NULL,
    identity_file      uuid        NOT NULL,
    family_card_file   uuid        NOT NULL,
    selfie_file        uuid        NOT NULL,
    requested_at       timestamptz NOT NULL
);

CREATE INDEX password_reset_queue_order ON password_reset_queue (requested_at, account_id);

CREATE TABLE legacy_accounts
(
    legacy_account_id uuid PRIMARY KEY,
    nik_masked        text        NOT NULL,
    full_name         text        NOT NULL,
    imported_at       timestamptz NOT NULL
);

CREATE TABLE legacy_documents
(
    legacy_account_id uuid NOT NULL,
    file_id           uuid NOT NULL,
    title             text NOT NULL,
    PRIMARY KEY (legacy_account_id, file_id)
);

CREATE TABLE legacy_access_grants
(
    account_id        uuid        NOT NULL,
    legacy_account_id uuid        NOT NULL,
    granted_at        timestamptz NOT NULL,
    until             timestamptz NOT NULL,
    PRIMARY KEY (account_id, legacy_account_id, granted_at)
);
