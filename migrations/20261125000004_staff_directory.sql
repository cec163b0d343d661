-- Read model (owner: projections::staff_directory): staff accounts for the admin screens.
CREATE TABLE staff_directory
(
    staff_id       uuid PRIMARY KEY,
    username       text        NOT NULL UNIQUE,
    display_name   text        NOT NULL,
    role           text        NOT NULL,
    active         boolean     NOT NULL,
    created_at     timestamptz NOT NULL,
    last_signed_in timestamptz
);

-- Paging in the order the admin list shows.
CREATE INDEX staff_directory_username ON staff_directory (username);
