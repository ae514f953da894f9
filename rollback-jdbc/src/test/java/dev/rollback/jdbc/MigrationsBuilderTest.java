package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MigrationsBuilderTest {

  @Test
  void restoreConnectionsOutsideOneToSixteenAreRefusedNamingTheSetting() {
    Migrations.Builder b = Migrations.builder(TestDatabases.h2());
    assertThatThrownBy(() -> b.withRestoreConnections(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("withRestoreConnections: restore connections must be between 1 and 16: 0");
    assertThatThrownBy(() -> b.withRestoreConnections(17))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("withRestoreConnections:").hasMessageEndingWith(": 17");
  }

  @Test
  void aBatchSizeBelowOneIsRefusedNamingTheSetting() {
    assertThatThrownBy(() -> Migrations.builder(TestDatabases.h2()).withBatchSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("withBatchSize: batch size must be at least 1: 0");
  }
}
