package io.tenantgate.testing;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Generators straight from the name grammar of DESIGN.md section 1, for round-trip properties. */
public final class ValidNames {
  private ValidNames() {
  }

  /** Slugs: {@code [a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?}. */
  public static Arbitrary<String> slugs() {
    Arbitrary<Character> edge = Arbitraries.chars().range('a', 'z').numeric();
    Arbitrary<String> middle = Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('-').ofMaxLength(61);
    return Arbitraries.oneOf(edge.map(String::valueOf),
        Combinators.combine(edge, middle, edge).as((a, m, b) -> a + m + b));
  }

  /** Component and partition ids: {@code [A-Za-z0-9]([A-Za-z0-9_-]{0,126}[A-Za-z0-9])?}. */
  public static Arbitrary<String> ids() {
    Arbitrary<Character> edge = Arbitraries.chars().range('a', 'z').range('A', 'Z').numeric();
    Arbitrary<String> middle = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').numeric()
        .withChars('-', '_').ofMaxLength(126);
    return Arbitraries.oneOf(edge.map(String::valueOf),
        Combinators.combine(edge, middle, edge).as((a, m, b) -> a + m + b));
  }
}
