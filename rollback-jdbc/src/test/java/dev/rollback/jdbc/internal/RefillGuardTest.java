package dev.rollback.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What counts as a constant column default, and as an undo statement that writes no existing row. */
class RefillGuardTest {

  @ParameterizedTest
  @ValueSource(strings = {"NULL", "0", "0.00", "-1", "(-1)", "'-1'::integer", "'n/a'", "'n/a'::character varying",
      "NULL::numeric", "TRUE", "false", "DATE '2020-01-01'", "'2020-01-01'::date", "CAST(5 AS DECIMAL(10, 2))", "X'0A'"})
  void catalogDefaultsThatAreConstants(String def) {
    assertThat(Archive.isConstant(def)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"random()", "RAND()", "now()", "CURRENT_TIMESTAMP", "nextval('orders_id_seq'::regclass)",
      "abs(-1)", "1 + 1", "some_column", "(SELECT 1)", "gen_random_uuid()", "not sql ((("})
  void catalogDefaultsThatAreNot(String def) {
    assertThat(Archive.isConstant(def)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"ALTER TABLE orders ADD COLUMN discount NUMERIC(10, 2)",
      "ALTER TABLE orders ADD COLUMN discount NUMERIC(10, 2) DEFAULT 0",
      "ALTER TABLE shop.orders ADD discount NUMERIC(10, 2), ADD note VARCHAR(20)",
      "ALTER TABLE orders ADD CONSTRAINT positive CHECK (amount > 0)"})
  void undoStatementsThatOnlyAdd(String sql) {
    assertThat(Archive.onlyAdds(sql)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"UPDATE orders SET discount = 0", "ALTER TABLE orders ALTER COLUMN discount SET DEFAULT 5",
      "ALTER TABLE orders ADD COLUMN discount NUMERIC(10, 2), ALTER COLUMN note SET DEFAULT 'x'",
      "ALTER TABLE orders DROP COLUMN note", "INSERT INTO orders (id) VALUES (1)", "CREATE TABLE t (id INT)",
      "DO $$ BEGIN END $$"})
  void undoStatementsThatMayWriteRowsOrChangeDefaults(String sql) {
    assertThat(Archive.onlyAdds(sql)).isFalse();
  }
}
