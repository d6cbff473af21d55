package io.jindouyun.devllm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic answers: the words of an answer are drawn from {@link #WORDS} by a PRNG seeded with
 * the SHA-256 of (model, messages), so the same request always gives the same text and a shorter
 * answer is a prefix of a longer one. Each token is one word, with a leading space except the
 * first. The word list holds non-ASCII text, an emoji (a surrogate pair) and characters that JSON
 * must escape, so clients get tested for them. Stateless and thread-safe.
 */
final class AnswerGenerator {

  /** The vocabulary; every entry is one token. */
  static final List<String> WORDS =
      List.of(
          "the",
          "cloud",
          "somersault",
          "筋斗云",
          "streams",
          "tokens",
          "to",
          "a",
          "browser",
          "and",
          "gateway",
          "\"quoted\"",
          "line\nbreak",
          "back\\slash",
          "tab\there",
          "it's",
          "<b>bold</b>",
          "&amp;",
          "café",
          "naïve",
          "日本語",
          "🐒",
          "Ω",
          "über",
          "kafka",
          "etcd",
          "partition",
          "offset",
          "generation",
          "resume",
          "chunk",
          "latency",
          "p99",
          "fast",
          "of",
          "in",
          "with",
          "monkey",
          "king",
          "flies",
          "108,000",
          "li",
          "per",
          "leap",
          "{json}",
          "[brackets]",
          "50%",
          "$5",
          "is",
          "not",
          "yet",
          "done",
          "—",
          "…",
          "“smart”",
          "emoji",
          "unicode",
          "é",
          "∑",
          "path/to",
          "C:\\dir",
          "end.");

  private AnswerGenerator() {}

  /** The answer key: hex SHA-256 of model and messages. */
  static String answerKey(ChatRequest request) {
    return HexFormat.of().formatHex(digest(request));
  }

  /** The first {@code count} tokens of the answer to {@code request}. */
  static List<String> tokens(ChatRequest request, int count) {
    byte[] digest = digest(request);
    long seed = 0;
    for (int i = 0; i < Long.BYTES; i++) {
      seed = (seed << 8) | (digest[i] & 0xff);
    }
    SplittableRandom random = new SplittableRandom(seed);
    List<String> tokens = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String word = WORDS.get(random.nextInt(WORDS.size()));
      tokens.add(i == 0 ? word : " " + word);
    }
    return tokens;
  }

  private static byte[] digest(ChatRequest request) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
    update(sha, request.model());
    for (ChatRequest.Message message : request.messages()) {
      update(sha, message.role());
      update(sha, message.content());
    }
    return sha.digest();
  }

  private static void update(MessageDigest sha, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    sha.update(
        new byte[] {
          (byte) (bytes.length >>> 24), (byte) (bytes.length >>> 16),
          (byte) (bytes.length >>> 8), (byte) bytes.length
        });
    sha.update(bytes);
  }
}
