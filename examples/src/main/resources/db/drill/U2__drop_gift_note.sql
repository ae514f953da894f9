-- the rollback puts the archived gift notes back into the re-added column
ALTER TABLE orders ADD COLUMN gift_note VARCHAR(200);
