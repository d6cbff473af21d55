package io.jindouyun.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The repository against H2 served by its TCP server, as {@code ./jdy up} runs it. */
class H2HistoryStoreIntegrationTests extends HistoryStoreContract {

  private Server server;

  @BeforeAll
  @Override
  void open() {
    try {
      Path dir = Files.createTempDirectory("jdy-h2-");
      server =
          Server.createTcpServer(
                  "-tcpPort",
                  Integer.toString(FreePorts.next()),
                  "-baseDir",
                  dir.toString(),
                  "-ifNotExists")
              .start();
    } catch (SQLException | java.io.IOException e) {
      throw new IllegalStateException("cannot start the H2 server", e);
    }
    super.open();
  }

  @AfterAll
  @Override
  void close() {
    super.close();
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void servicesStartingTogetherOnAFreshDatabaseAllGetTheSchema() throws Exception {
    String fresh = "r2dbc:h2:tcp://127.0.0.1:" + server.getPort() + "/fresh";
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<HistoryDatabase>> opening = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        opening.add(pool.submit(() -> HistoryDatabase.open(HistoryProperties.of(fresh))));
      }
      for (Future<HistoryDatabase> f : opening) {
        try (HistoryDatabase db = f.get(30, TimeUnit.SECONDS)) {
          assertThat(
                  db.client()
                      .sql("SELECT COUNT(*) AS n FROM conversation")
                      .map(row -> ((Number) row.get("n")).longValue())
                      .one()
                      .block(Duration.ofSeconds(5)))
              .isZero();
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Override
  String url() {
    return "r2dbc:h2:tcp://127.0.0.1:" + server.getPort() + "/history";
  }
}
