package io.jindouyun.exporter.publish;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;

/**
 * The JSON written to {@code /jindouyun/metrics/<service>/<id>}: protobuf's JSON mapping with
 * lowerCamel names, every field present (zeros too), int64 as strings, no whitespace. Thread-safe.
 */
public final class SnapshotJson {

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().includingDefaultValueFields().omittingInsignificantWhitespace();

  private SnapshotJson() {}

  /** The JSON of one snapshot. */
  public static String print(MetricsSnapshot snapshot) {
    try {
      return PRINTER.print(snapshot);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print a metrics snapshot", e);
    }
  }
}
