package io.jindouyun.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates for an etcd with TLS, made with {@code openssl} in a temporary folder: a CA, a
 * server certificate for {@code 127.0.0.1} and {@code localhost}, and one client certificate per
 * name (its CN; etcd takes the CN as the user when a client sends no password). EC P-256 keys,
 * PKCS#8 PEM (what Netty reads). {@link #close()} deletes the folder. Not thread-safe.
 */
public final class EtcdTls implements AutoCloseable {

  private static final long OPENSSL_TIMEOUT_SECONDS = 20;

  private final Path dir;

  private EtcdTls(Path dir) {
    this.dir = dir;
  }

  /** Makes the CA, the server certificate and a client certificate for each of {@code clients}. */
  public static EtcdTls generate(List<String> clients) {
    Path openssl = Binaries.require("openssl", "openssl");
    EtcdTls tls = new EtcdTls(TempDirs.create("etcd-tls"));
    try {
      Files.writeString(
          tls.dir.resolve("server.ext"),
          "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
          StandardCharsets.US_ASCII);
      Files.writeString(
          tls.dir.resolve("client.ext"),
          "extendedKeyUsage=clientAuth\n",
          StandardCharsets.US_ASCII);
      tls.run(
          openssl,
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          "ca.key",
          "-out",
          "ca.crt",
          "-days",
          "2",
          "-subj",
          "/CN=jdy-test-ca");
      tls.signed(openssl, "server", "server.ext");
      for (String client : clients) {
        tls.signed(openssl, client, "client.ext");
      }
      return tls;
    } catch (IOException e) {
      tls.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      tls.close();
      throw e;
    }
  }

  private void signed(Path openssl, String name, String extensions) {
    run(
        openssl,
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        name + ".key",
        "-out",
        name + ".csr",
        "-subj",
        "/CN=" + name);
    run(
        openssl,
        "x509",
        "-req",
        "-in",
        name + ".csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        name + ".crt",
        "-days",
        "2",
        "-extfile",
        extensions);
  }

  private void run(Path openssl, String... args) {
    List<String> command = new ArrayList<>();
    command.add(openssl.toString());
    command.addAll(List.of(args));
    try {
      Process p =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("openssl.log").toFile())
              .start();
      if (!p.waitFor(OPENSSL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("openssl did not finish: " + command);
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "openssl failed: " + command + "\n" + Files.readString(dir.resolve("openssl.log")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The CA certificate (PEM). */
  public Path ca() {
    return dir.resolve("ca.crt");
  }

  /** The server certificate (PEM). */
  public Path serverCert() {
    return dir.resolve("server.crt");
  }

  /** The server key (PKCS#8 PEM). */
  public Path serverKey() {
    return dir.resolve("server.key");
  }

  /** The certificate of client {@code name} (PEM). */
  public Path clientCert(String name) {
    return dir.resolve(name + ".crt");
  }

  /** The key of client {@code name} (PKCS#8 PEM). */
  public Path clientKey(String name) {
    return dir.resolve(name + ".key");
  }

  @Override
  public void close() {
    TempDirs.delete(dir);
  }
}
