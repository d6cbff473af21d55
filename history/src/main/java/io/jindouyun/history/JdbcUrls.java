package io.jindouyun.history;

import io.r2dbc.spi.ConnectionFactoryOptions;

/**
 * The JDBC URL Flyway migrates through, derived from the R2DBC URL the services use, so one setting
 * names the database. Pure; thread-safe.
 */
final class JdbcUrls {

  /** A JDBC URL with its credentials (null when the URL has none). */
  record Jdbc(String url, String user, String password) {}

  private JdbcUrls() {}

  /**
   * The JDBC form of {@code options}: {@code h2:tcp}, {@code h2:file}, {@code h2:mem} and {@code
   * postgresql}.
   *
   * @throws IllegalArgumentException for another driver or protocol
   */
  static Jdbc of(ConnectionFactoryOptions options) {
    String driver = (String) options.getRequiredValue(ConnectionFactoryOptions.DRIVER);
    String protocol = (String) options.getValue(ConnectionFactoryOptions.PROTOCOL);
    String host = (String) options.getValue(ConnectionFactoryOptions.HOST);
    Object port = options.getValue(ConnectionFactoryOptions.PORT);
    String database = (String) options.getValue(ConnectionFactoryOptions.DATABASE);
    Object user = options.getValue(ConnectionFactoryOptions.USER);
    Object password = options.getValue(ConnectionFactoryOptions.PASSWORD);
    String url =
        switch (driver) {
          case "h2" -> h2(protocol, host, port, database);
          case "postgresql", "postgres" ->
              "jdbc:postgresql://" + host + (port == null ? "" : ":" + port) + "/" + database;
          default -> throw new IllegalArgumentException("unsupported history database: " + driver);
        };
    return new Jdbc(
        url, user == null ? null : user.toString(), password == null ? null : password.toString());
  }

  private static String h2(String protocol, String host, Object port, String database) {
    if (protocol == null) {
      throw new IllegalArgumentException("an H2 URL needs a protocol: tcp, file or mem");
    }
    return switch (protocol) {
      case "tcp" -> "jdbc:h2:tcp://" + host + (port == null ? "" : ":" + port) + "/" + database;
      case "file" -> "jdbc:h2:file:" + database;
      case "mem" -> "jdbc:h2:mem:" + database + ";DB_CLOSE_DELAY=-1";
      default -> throw new IllegalArgumentException("unsupported H2 protocol: " + protocol);
    };
  }
}
