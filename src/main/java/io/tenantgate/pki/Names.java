package io.tenantgate.pki;

import java.util.regex.Pattern;

/**
 * The one validator for the name kinds of DESIGN.md section 1 ("Leaf names"): tenant slugs,
 * component and partition ids, trust domains. Everything that accepts such a name from outside —
 * certificate issuance, CN and SPIFFE parsing, the registry — checks it here.
 */
public final class Names {
  private static final Pattern SLUG = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9_-]{0,126}[A-Za-z0-9])?");
  private static final String LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
  private static final Pattern DOMAIN = Pattern.compile(LABEL + "(\\." + LABEL + ")*");

  private Names() {
  }

  /** A tenant slug (or component type): one lowercase DNS label. */
  public static boolean isSlug(String s) {
    return s != null && SLUG.matcher(s).matches();
  }

  /** A component or partition id: letters, digits, '_' and '-', no dots, at most 128 characters. */
  public static boolean isId(String s) {
    return s != null && ID.matcher(s).matches();
  }

  /** A trust domain: lowercase DNS labels separated by dots. */
  public static boolean isDomain(String s) {
    return s != null && s.length() <= 253 && DOMAIN.matcher(s).matches();
  }

  public static String requireSlug(String what, String value) {
    return require(isSlug(value), what, value, "a lowercase DNS label ([a-z0-9-], at most 63 characters)");
  }

  public static String requireId(String what, String value) {
    return require(isId(value), what, value, "letters, digits, '_' and '-' (no dots, at most 128 characters)");
  }

  public static String requireDomain(String what, String value) {
    return require(isDomain(value), what, value, "lowercase DNS labels separated by dots");
  }

  private static String require(boolean ok, String what, String value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException("invalid " + what + " '" + value + "': expected " + expected);
    }
    return value;
  }
}
