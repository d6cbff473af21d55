package io.jindouyun.contract;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import java.util.List;

/**
 * The JSON of a {@link MetricsSnapshot} at {@code <root>metrics/<service>/<id>} (see {@link
 * EtcdKeys}): protobuf's JSON mapping with lowerCamel names, every field present (zeros too), int64
 * as strings, no whitespace. Its fields are {@link #FIELDS}. Stateless and thread-safe.
 *
 * <p>Reading is protobuf's JSON parser: int64 as strings or numbers, doubles as numbers or strings
 * ({@code "NaN"} too), a missing field is zero, unknown fields are ignored; {@code service} and
 * {@code instanceId}, when present, must match the key. Range checks are the reader's.
 */
public final class MetricsJson {

  /** The JSON field names, in field-number order: one per field of {@link MetricsSnapshot}. */
  public static final List<String> FIELDS =
      MetricsSnapshot.getDescriptor().getFields().stream()
          .map(FieldDescriptor::getJsonName)
          .toList();

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().includingDefaultValueFields().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

  private MetricsJson() {}

  /** The JSON of one snapshot. */
  public static String print(MetricsSnapshot snapshot) {
    try {
      return PRINTER.print(snapshot);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print a metrics snapshot", e);
    }
  }

  /**
   * Reads the snapshot stored at the metrics key of {@code key}; {@code service} and {@code
   * instanceId} are the key's when absent.
   *
   * @throws BadRecordException when the value is not a JSON object of snapshot fields with the
   *     right types, or names another instance than the key
   */
  public static MetricsSnapshot parse(ServiceInstance key, String json) throws BadRecordException {
    MetricsSnapshot.Builder builder = MetricsSnapshot.newBuilder();
    try {
      PARSER.merge(json, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new BadRecordException("not a metrics snapshot JSON object: " + e.getMessage());
    }
    if (!matches(builder.getService(), key.service())
        || !matches(builder.getInstanceId(), key.id())) {
      throw new BadRecordException("service/instanceId do not match the key " + key);
    }
    return builder.setService(key.service()).setInstanceId(key.id()).build();
  }

  private static boolean matches(String written, String expected) {
    return written.isEmpty() || written.equals(expected);
  }
}
