-- the discount moved to the pricing service
ALTER TABLE orders DROP COLUMN discount;
