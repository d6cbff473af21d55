package io.jindouyun.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.r2dbc.spi.ConnectionFactoryOptions;
import org.junit.jupiter.api.Test;

class JdbcUrlsTests {

  static JdbcUrls.Jdbc of(String r2dbc) {
    return JdbcUrls.of(ConnectionFactoryOptions.parse(r2dbc));
  }

  @Test
  void anH2ServerUrl() {
    assertThat(of("r2dbc:h2:tcp://127.0.0.1:9110/history").url())
        .isEqualTo("jdbc:h2:tcp://127.0.0.1:9110/history");
  }

  @Test
  void aPostgresUrlKeepsItsCredentialsApart() {
    JdbcUrls.Jdbc jdbc = of("r2dbc:postgresql://jdy:secret@db.example:5432/jindouyun");

    assertThat(jdbc.url()).isEqualTo("jdbc:postgresql://db.example:5432/jindouyun");
    assertThat(jdbc.user()).isEqualTo("jdy");
    assertThat(jdbc.password()).isEqualTo("secret");
  }

  @Test
  void anotherDatabaseIsRefused() {
    assertThatThrownBy(() -> of("r2dbc:mysql://h/db")).isInstanceOf(IllegalArgumentException.class);
  }
}
