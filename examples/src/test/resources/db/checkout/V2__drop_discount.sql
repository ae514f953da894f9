-- 2.4.0 computes discounts in the pricing service
ALTER TABLE orders DROP COLUMN discount;
