package io.jindouyun.history;

import io.jindouyun.testkit.PostgresExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The repository against a real PostgreSQL, started by the test kit. */
class PostgresHistoryStoreIntegrationTests extends HistoryStoreContract {

  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  @Override
  String url() {
    return postgres.r2dbcUrl();
  }
}
