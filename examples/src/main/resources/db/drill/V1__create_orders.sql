CREATE TABLE orders (
  id INT PRIMARY KEY,
  customer VARCHAR(100) NOT NULL,
  amount NUMERIC(10, 2) NOT NULL,
  gift_note VARCHAR(200)
);
