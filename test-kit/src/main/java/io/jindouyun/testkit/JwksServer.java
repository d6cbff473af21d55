package io.jindouyun.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in identity provider on loopback: a generated 2048-bit RSA key, its JWK Set at {@code
 * /jwks.json}, OpenID Connect discovery at {@code /.well-known/openid-configuration} (issuer: the
 * server's base URL), and RS256 tokens signed with the key ({@link #sign}). A second key that the
 * JWK Set does not hold signs {@link #signWithUnknownKey} tokens. Thread-safe; {@link #close()}
 * stops the server.
 */
public final class JwksServer implements AutoCloseable {

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String KID = "jdy-test-key";

  private final KeyPair key;
  private final KeyPair unknownKey;
  private final HttpServer server;
  private final AtomicInteger jwksRequests = new AtomicInteger();

  private JwksServer(KeyPair key, KeyPair unknownKey, HttpServer server) {
    this.key = key;
    this.unknownKey = unknownKey;
    this.server = server;
  }

  /** Generates the keys and starts serving on a free loopback port. */
  public static JwksServer start() {
    try {
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
      rsa.initialize(2048);
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
      JwksServer jwks = new JwksServer(rsa.generateKeyPair(), rsa.generateKeyPair(), server);
      server.createContext("/jwks.json", jwks::jwks);
      server.createContext("/.well-known/openid-configuration", jwks::discovery);
      server.start();
      return jwks;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no RSA key generator", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The issuer: {@code http://127.0.0.1:<port>}. */
  public String issuer() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The JWK Set's URL. */
  public String jwkSetUri() {
    return issuer() + "/jwks.json";
  }

  /** How many times the JWK Set was fetched. */
  public int jwksRequests() {
    return jwksRequests.get();
  }

  /** An RS256 JWT with {@code claimsJson} as its payload, signed with the served key. */
  public String sign(String claimsJson) {
    return sign(key, claimsJson);
  }

  /** An RS256 JWT signed with a key the JWK Set does not hold (same {@code kid}). */
  public String signWithUnknownKey(String claimsJson) {
    return sign(unknownKey, claimsJson);
  }

  private static String sign(KeyPair pair, String claimsJson) {
    String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" + KID + "\"}";
    String input = b64(header.getBytes(StandardCharsets.UTF_8)) + "." + b64(utf8(claimsJson));
    try {
      Signature rs256 = Signature.getInstance("SHA256withRSA");
      rs256.initSign(pair.getPrivate());
      rs256.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(rs256.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not sign with RS256", e);
    }
  }

  private void jwks(HttpExchange exchange) throws IOException {
    jwksRequests.incrementAndGet();
    RSAPublicKey pub = (RSAPublicKey) key.getPublic();
    String body =
        "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\""
            + KID
            + "\",\"n\":\""
            + b64(unsigned(pub.getModulus()))
            + "\",\"e\":\""
            + b64(unsigned(pub.getPublicExponent()))
            + "\"}]}";
    answer(exchange, body);
  }

  private void discovery(HttpExchange exchange) throws IOException {
    String body =
        "{\"issuer\":\""
            + issuer()
            + "\",\"jwks_uri\":\""
            + jwkSetUri()
            + "\",\"id_token_signing_alg_values_supported\":[\"RS256\"],"
            + "\"subject_types_supported\":[\"public\"],\"response_types_supported\":[\"code\"]}";
    answer(exchange, body);
  }

  private static void answer(HttpExchange exchange, String body) throws IOException {
    byte[] bytes = utf8(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static byte[] unsigned(BigInteger n) {
    byte[] bytes = n.toByteArray();
    return bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String b64(byte[] bytes) {
    return B64.encodeToString(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
