package io.tenantgate.launcher;

import java.time.Duration;
import java.util.Locale;

/** Command-line durations: {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d} or ISO-8601 {@code PT24H}. */
final class Durations {
  private Durations() {
  }

  static Duration parse(String option, String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (s.startsWith("p")) {
        return Duration.parse(s.toUpperCase(Locale.ROOT));
      }
      long n = Long.parseLong(s.substring(0, s.length() - 1));
      return switch (s.charAt(s.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        case 'd' -> Duration.ofDays(n);
        default -> throw new NumberFormatException();
      };
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(option + " must be a duration like 30m, 24h or 7d, got '" + text + "'");
    }
  }
}
