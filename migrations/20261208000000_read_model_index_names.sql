-- A replay used to create its shadow tables with LIKE … INCLUDING ALL, which names every copied
-- index after its columns; swapped in, the read models then carried those names instead of the
-- ones these migrations gave them (and a later migration addressing an index by name would miss
-- it). Replays now keep the live names (projections/src/replay.rs); this gives a database
-- replayed before that its names back. On any other database none of the old names exists.
ALTER INDEX IF EXISTS account_verification_queue_registered_at_account_id_idx RENAME TO account_verification_queue_order;
ALTER INDEX IF EXISTS file_retention_kind_purpose_ended_at_idx RENAME TO file_retention_due;
ALTER INDEX IF EXISTS file_retention_owner_idx RENAME TO file_retention_open;
ALTER INDEX IF EXISTS office_outages_expr_idx RENAME TO office_outages_in_progress;
ALTER INDEX IF EXISTS password_reset_queue_requested_at_account_id_idx RENAME TO password_reset_queue_order;
ALTER INDEX IF EXISTS resident_accounts_phone_key_idx RENAME TO resident_accounts_phone_key;
ALTER INDEX IF EXISTS resident_accounts_name_keys_idx RENAME TO resident_accounts_name_keys;
ALTER INDEX IF EXISTS staff_directory_username_idx RENAME TO staff_directory_username;
ALTER INDEX IF EXISTS statistics_requests_finished_on_idx RENAME TO statistics_requests_finished;
ALTER INDEX IF EXISTS statistics_requests_submitted_on_idx RENAME TO statistics_requests_submitted;
ALTER INDEX IF EXISTS status_board_account_id_submitted_at_request_id_idx RENAME TO status_board_account;
ALTER INDEX IF EXISTS status_board_receipt_code_idx RENAME TO status_board_receipt_code;
ALTER INDEX IF EXISTS work_queue_claimed_by_due_at_request_id_idx RENAME TO work_queue_claimed;
ALTER INDEX IF EXISTS work_queue_due_at_request_id_idx RENAME TO work_queue_due;
ALTER INDEX IF EXISTS work_queue_status_due_at_request_id_idx RENAME TO work_queue_status;
