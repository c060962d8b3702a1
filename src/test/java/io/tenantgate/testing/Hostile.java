package io.tenantgate.testing;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Generators of the strings an attacker would send where a name, subject or header is expected:
 * anything at all (every UTF-16 unit, unpaired surrogates included), strings over an alphabet of the
 * characters that separate, wildcard, escape, fold or confuse (dots, '*', '>', '$', '%', quotes,
 * whitespace and controls, dotless i, Kelvin sign, BOM, line separator), and near-valid names —
 * valid-looking tokens joined by dots, so the generator often lands on the boundaries of the grammar.
 */
public final class Hostile {
  /** Characters with a meaning in names, subjects, DNs, URIs or HTTP, plus Unicode look-alikes. */
  public static final String ALPHABET = "aAzZ09-_.*>$/\\%:;,=+\"'#?&@![](){}<>|`~^ \t\r\n\u0000\u000b\u007f"
      + "\u0085\u00a0\u00e9\u0130\u0131\u017f\u212a\u2028\ufeff\ud83d\ude00";

  private Hostile() {
  }

  /** One of the three kinds, at random. */
  public static Arbitrary<String> strings() {
    return Arbitraries.oneOf(anything(), separators(), nearlyValid());
  }

  public static Arbitrary<String> anything() {
    return Arbitraries.strings().all().ofMaxLength(300);
  }

  public static Arbitrary<String> separators() {
    return Arbitraries.strings().withChars(ALPHABET.toCharArray()).ofMaxLength(80);
  }

  /** Tokens of name characters (sometimes empty, too long, upper case or wild) joined by dots. */
  public static Arbitrary<String> nearlyValid() {
    Arbitrary<String> token = Arbitraries.oneOf(
        Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('-').ofMinLength(1).ofMaxLength(12),
        Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').numeric().withChars('-', '_')
            .ofMinLength(0).ofMaxLength(130),
        Arbitraries.of("acme", "globex", "initech", "serviceradar", "default", "agent-001", "edge", "logs", "_INBOX",
            "$JS", "$SYS", "*", ">", "", "-", "a-", "-a", "A", "é", "acme ", " acme", "ACME", "acme\u0000"));
    return token.list().ofMinSize(1).ofMaxSize(7).map(l -> String.join(".", l));
  }

  /** A printable-ASCII string of up to {@code max} characters (what an HTTP client can put in a value). */
  public static Arbitrary<String> visibleAscii(int max) {
    return Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(max);
  }

  /** Two hostile strings glued by {@code sep}, so structure and noise meet. */
  public static Arbitrary<String> joined(String sep) {
    return Combinators.combine(strings(), strings()).as((a, b) -> a + sep + b);
  }
}
