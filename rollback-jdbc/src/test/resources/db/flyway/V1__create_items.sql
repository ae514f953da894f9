CREATE TABLE items (
  id INT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  legacy_code VARCHAR(20)
);
