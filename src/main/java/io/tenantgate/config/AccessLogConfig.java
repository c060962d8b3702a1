package io.tenantgate.config;

/**
 * The structured access log: one JSON line per request or stream on the {@code tenantgate.access}
 * logger (asynchronous appender).
 *
 * @param sampleRate fraction of successful requests logged (0..1); failures and refusals always are
 */
public record AccessLogConfig(boolean enabled, double sampleRate) {

  static AccessLogConfig parse(Node n) {
    boolean enabled = n.bool("enabled", true);
    String raw = n.string("sampleRate", "1.0");
    double rate = 1.0;
    try {
      rate = Double.parseDouble(raw);
      if (!(rate >= 0 && rate <= 1)) {
        n.problem("sampleRate", "must be between 0 and 1, got " + raw);
        rate = 1.0;
      }
    } catch (NumberFormatException e) {
      n.problem("sampleRate", "must be a number between 0 and 1, got '" + raw + "'");
    }
    n.rejectUnknownKeys();
    return new AccessLogConfig(enabled, rate);
  }
}
