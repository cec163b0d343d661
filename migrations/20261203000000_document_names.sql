-- The name a document is saved under when downloaded ("akta-kelahiran-KH-2026-000002",
-- "kartu-keluarga-KH-2026-000002", "ktp-el-1a2b3c4d"), without its extension, which follows
-- content_type. Set with the attachment, in the same statement, because that is where the
-- service and request number are known and the file route has neither; cleared with it when a
-- refused command's attachment is undone. NULL (files attached before this column, or never
-- attached) is served as "dokumen-<first 8 hex digits of the id>".
ALTER TABLE stored_files ADD COLUMN download_name text;
