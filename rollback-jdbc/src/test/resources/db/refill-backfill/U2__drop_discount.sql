ALTER TABLE orders ADD COLUMN discount NUMERIC(10, 2);
-- rollback:safe
UPDATE orders SET discount = 0;
