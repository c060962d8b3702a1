package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.testing.FuzzTries;
import io.tenantgate.testing.Hostile;
import io.tenantgate.testing.ValidNames;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * {@link Names} on generated strings: whatever it accepts is exactly the grammar of DESIGN.md section 1
 * (so a slug can never carry a dot, a wildcard, a '$' root or upper case into a CN, a DNS name or a NATS
 * prefix), everything in the grammar is accepted, and the only failure it ever raises is
 * IllegalArgumentException.
 */
@AddLifecycleHook(FuzzTries.class)
class NamesPropertiesTest {

  @Property(tries = 1500)
  void aSlugIsOneLowercaseDnsLabel(@ForAll("hostile") String s) {
    if (!Names.isSlug(s)) {
      return;
    }
    assertTrue(s.length() >= 1 && s.length() <= 63, s);
    assertTrue(s.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'), s);
    assertTrue(s.charAt(0) != '-' && s.charAt(s.length() - 1) != '-', s);
    assertTrue(Names.isDomain(s), "a slug is also a one-label domain: " + s);
  }

  @Property(tries = 1500)
  void anIdHasNoDotsWildcardsOrSpaces(@ForAll("hostile") String s) {
    if (!Names.isId(s)) {
      return;
    }
    assertTrue(s.length() >= 1 && s.length() <= 128, s);
    assertTrue(s.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
        || c == '-' || c == '_'), s);
    assertTrue(Character.isLetterOrDigit(s.charAt(0)) && Character.isLetterOrDigit(s.charAt(s.length() - 1)), s);
  }

  @Property(tries = 1500)
  void aDomainIsDotSeparatedSlugs(@ForAll("hostile") String s) {
    if (!Names.isDomain(s)) {
      return;
    }
    assertTrue(s.length() <= 253, s);
    for (String label : s.split("\\.", -1)) {
      assertTrue(Names.isSlug(label), "label '" + label + "' of " + s);
    }
  }

  @Property(tries = 1500)
  void requireFailsOnlyWithIllegalArgumentAndReturnsWhatItChecked(@ForAll("hostile") String s) {
    assertRequire(Names.isSlug(s), () -> Names.requireSlug("slug", s), s);
    assertRequire(Names.isId(s), () -> Names.requireId("id", s), s);
    assertRequire(Names.isDomain(s), () -> Names.requireDomain("domain", s), s);
  }

  @Property(tries = 2000)
  void everythingTheGrammarDescribesIsAccepted(@ForAll("slugs") String slug, @ForAll("ids") String id) {
    assertTrue(Names.isSlug(slug), slug);
    assertTrue(Names.isId(id), id);
    assertTrue(Names.isDomain(slug + "." + slug), slug);
  }

  private static void assertRequire(boolean valid, java.util.function.Supplier<String> call, String s) {
    try {
      assertEquals(s, call.get());
      assertTrue(valid, "require accepted what it refuses: " + s);
    } catch (IllegalArgumentException e) {
      assertTrue(!valid, "require refused a valid name: " + s);
    }
  }

  @Provide
  Arbitrary<String> hostile() {
    return Hostile.strings();
  }

  @Provide
  Arbitrary<String> slugs() {
    return ValidNames.slugs();
  }

  @Provide
  Arbitrary<String> ids() {
    return ValidNames.ids();
  }
}
