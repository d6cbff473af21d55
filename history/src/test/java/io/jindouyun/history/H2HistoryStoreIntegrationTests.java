package io.jindouyun.history;

import io.jindouyun.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

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

  @Override
  String url() {
    return "r2dbc:h2:tcp://127.0.0.1:" + server.getPort() + "/history";
  }
}
