CREATE TABLE orders (
  id INT PRIMARY KEY,
  customer VARCHAR(100) NOT NULL,
  amount NUMERIC(10, 0),
  note VARCHAR(200)
);
