UPDATE orders SET note = 'cleared' WHERE amount < 10;
DELETE FROM orders WHERE customer = 'test';
