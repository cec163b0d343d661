-- The stream an attachment was made for ('ServiceRequest:<id>', 'Account:<id>'), until
-- housekeeping has seen an event of that stream reference the file (then NULL).
--
-- Uploads are attached just before the command's events are appended, in another transaction.
-- A crash in between, or the same command sent twice at once (a double click, a client
-- retrying), used to leave the uploads attached to a command that was never recorded: the
-- retry was refused (UPLOAD_NOT_USABLE) and the files were kept forever. Now a command on the
-- same stream accepts them again, and housekeeping detaches them after an hour if no event of
-- that stream references them, so they expire like any unused upload.
ALTER TABLE stored_files ADD COLUMN attached_for text;

CREATE INDEX stored_files_unsettled ON stored_files (attached_at) WHERE attached_for IS NOT NULL;
