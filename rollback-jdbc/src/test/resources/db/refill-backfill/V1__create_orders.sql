CREATE TABLE orders (
  id INT PRIMARY KEY,
  customer VARCHAR(100) NOT NULL,
  amount NUMERIC(10, 2),
  discount NUMERIC(10, 2),
  note VARCHAR(200)
);
