-- The code printed on a submission's receipt, verifiable by anyone at /verifikasi/<code>.
-- Requests submitted before receipts existed have none.
ALTER TABLE status_board ADD COLUMN receipt_code text;
CREATE UNIQUE INDEX status_board_receipt_code ON status_board (receipt_code) WHERE receipt_code IS NOT NULL;
