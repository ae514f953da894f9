-- rollback:safe
ALTER TABLE orders ADD COLUMN discount NUMERIC(10, 2) DEFAULT RANDOM();
