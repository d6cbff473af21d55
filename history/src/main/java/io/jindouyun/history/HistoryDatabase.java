package io.jindouyun.history;

import io.r2dbc.h2.H2ConnectionConfiguration;
import io.r2dbc.h2.H2ConnectionFactory;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.time.Duration;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;

/**
 * The history database of one process: a bounded R2DBC connection pool over the configured URL, and
 * the schema brought up to date by Flyway (through the JDBC form of the same URL) when it opens.
 *
 * <p>Several processes (gateways, llm-consumers) share one database: H2 served by its TCP server
 * ({@code r2dbc:h2:tcp://...}, which {@code ./jdy up} starts), or PostgreSQL. Each process migrates
 * at start; Flyway serialises concurrent migrations with a lock (PostgreSQL) and a start that loses
 * a race on H2 tries again. Create one per process and {@link #close} it on shutdown.
 */
public final class HistoryDatabase implements AutoCloseable {

  /** Flyway's own table, named for this schema so it never meets another application's. */
  public static final String SCHEMA_TABLE = "history_schema_history";

  private static final Logger log = LoggerFactory.getLogger(HistoryDatabase.class);
  private static final int MIGRATE_ATTEMPTS = 3;

  private final ConnectionPool pool;
  private final DatabaseClient client;
  private final TransactionalOperator transactions;

  private HistoryDatabase(ConnectionPool pool) {
    this.pool = pool;
    this.client = DatabaseClient.create(pool);
    this.transactions = TransactionalOperator.create(new R2dbcTransactionManager(pool));
  }

  /**
   * Migrates the schema of {@code props.url()} and opens the pool. Blocks (call it at start-up).
   *
   * @throws IllegalStateException when the schema cannot be migrated
   */
  public static HistoryDatabase open(HistoryProperties props) {
    ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(props.url());
    migrate(JdbcUrls.of(options));
    Duration timeout = props.timeout();
    ConnectionPool pool =
        new ConnectionPool(
            ConnectionPoolConfiguration.builder(connectionFactory(options))
                .initialSize(1)
                .maxSize(props.poolSize())
                .maxAcquireTime(timeout)
                .maxCreateConnectionTime(timeout)
                .maxValidationTime(timeout)
                .maxIdleTime(Duration.ofMinutes(10))
                .build());
    return new HistoryDatabase(pool);
  }

  private static ConnectionFactory connectionFactory(ConnectionFactoryOptions options) {
    if ("h2".equals(options.getValue(ConnectionFactoryOptions.DRIVER))
        && "tcp".equals(options.getValue(ConnectionFactoryOptions.PROTOCOL))) {
      // r2dbc-h2 parses file and mem URLs only; a server's URL goes in as H2's own.
      Object port = options.getValue(ConnectionFactoryOptions.PORT);
      Object user = options.getValue(ConnectionFactoryOptions.USER);
      Object password = options.getValue(ConnectionFactoryOptions.PASSWORD);
      return new H2ConnectionFactory(
          H2ConnectionConfiguration.builder()
              .url(
                  "tcp://"
                      + options.getValue(ConnectionFactoryOptions.HOST)
                      + (port == null ? "" : ":" + port)
                      + "/"
                      + options.getValue(ConnectionFactoryOptions.DATABASE))
              .username(user == null ? "sa" : user.toString())
              .password(password == null ? "" : password.toString())
              .build());
    }
    return ConnectionFactories.get(options);
  }

  private static void migrate(JdbcUrls.Jdbc jdbc) {
    boolean h2 = jdbc.url().startsWith("jdbc:h2:");
    String user = jdbc.user() == null && h2 ? "sa" : jdbc.user();
    String password = jdbc.password() == null && h2 ? "" : jdbc.password();
    Flyway flyway =
        Flyway.configure()
            .dataSource(jdbc.url(), user, password)
            .locations("classpath:db/history")
            .table(SCHEMA_TABLE)
            .connectRetries(5)
            .load();
    for (int attempt = 1; ; attempt++) {
      try {
        flyway.migrate();
        return;
      } catch (FlywayException e) {
        if (attempt >= MIGRATE_ATTEMPTS) {
          throw new IllegalStateException("the history schema could not be migrated", e);
        }
        // another process migrating at the same moment: the second look finds it done
        log.info(
            "History schema migration attempt {} failed, trying again: {}", attempt, e.toString());
      }
    }
  }

  /** The client over the pool. */
  public DatabaseClient client() {
    return client;
  }

  /** Runs a publisher in one transaction. */
  public TransactionalOperator transactions() {
    return transactions;
  }

  /** Closes the pool; blocks at most 5 s. */
  @Override
  public void close() {
    pool.disposeLater().block(Duration.ofSeconds(5));
  }
}
