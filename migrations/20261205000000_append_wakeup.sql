-- The projector is no longer woken by a NOTIFY inside every appending transaction: PostgreSQL
-- serialises the commits of notifying transactions on one cluster-wide lock held through the
-- WAL flush, which capped command throughput at a few clients. Appenders now notify after
-- their commit, once per burst (commands::wakeup); the projector also polls, so an event
-- written by any other means is still projected.
DROP TRIGGER events_appended ON events;
DROP FUNCTION events_notify_appended();
