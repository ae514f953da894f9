-- checkout 2.4.0 keeps gift notes in the new gift service: the column goes (its values are archived first)
ALTER TABLE orders DROP COLUMN gift_note;
