package io.tenantgate.config;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one reader of durations, for configuration, the admin API and the CLI: {@code 0}, {@code 500ms},
 * {@code 10s}, {@code 5m}, {@code 1h}, {@code 7d} or ISO-8601 ({@code PT24H}), at most 365 days.
 */
public final class Durations {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,30})\\s*(ms|s|m|h|d)");
  private static final BigInteger MAX_MILLIS = BigInteger.valueOf(Duration.ofDays(365).toMillis());

  private Durations() {
  }

  /** @throws IllegalArgumentException saying what a duration looks like, or that it is over 365 days */
  public static Duration parse(String text) {
    String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    BigInteger millis;
    if (s.startsWith("p")) {
      try {
        millis = BigInteger.valueOf(Duration.parse(s.toUpperCase(Locale.ROOT)).toMillis());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("must be a duration like 500ms, 10s, 5m, 1h, got '" + text + "'");
      }
    } else {
      Matcher m = DURATION.matcher(s);
      if (!m.matches()) {
        throw new IllegalArgumentException("must be a duration like 500ms, 10s, 5m, 1h, got '" + text + "'");
      }
      long perUnit = switch (m.group(2)) {
        case "ms" -> 1L;
        case "s" -> 1_000L;
        case "m" -> 60_000L;
        case "h" -> 3_600_000L;
        default -> 86_400_000L;
      };
      millis = new BigInteger(m.group(1)).multiply(BigInteger.valueOf(perUnit));
    }
    if (millis.signum() < 0 || millis.compareTo(MAX_MILLIS) > 0) {
      throw new IllegalArgumentException("must be at most 365d, got '" + text + "'");
    }
    return Duration.ofMillis(millis.longValue());
  }
}
