package io.tenantgate.identity;

import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Map;

/**
 * The trusted headers of one verified identity (and its signed assertion), prepared once and stamped on
 * every request its connections forward: names and values are {@link AsciiString}s, whose hash is
 * computed once and which the HTTP codecs validate and write as bytes, instead of strings re-hashed and
 * re-encoded per request. Immutable: the {@link AssertionCache} shares one among a certificate's connections.
 */
public final class IdentityStamp {
  /** The stamped names, one instance each for all stamps. */
  private static final Map<String, AsciiString> NAMES = java.util.stream.Stream.of(IdentityHeaders.TENANT_ID,
      IdentityHeaders.TENANT_SLUG, IdentityHeaders.PARTITION_ID, IdentityHeaders.COMPONENT_ID,
      IdentityHeaders.COMPONENT_TYPE, IdentityHeaders.CLIENT_CERT_SHA256, IdentityHeaders.XFCC,
      IdentityHeaders.TENANT_ASSERTION).collect(java.util.stream.Collectors.toUnmodifiableMap(n -> n, AsciiString::cached));

  private final CharSequence[] names;
  private final CharSequence[] values;

  private IdentityStamp(CharSequence[] names, CharSequence[] values) {
    this.names = names;
    this.values = values;
  }

  /** The stamp for {@code identity}, with {@code assertion} as {@code x-tenant-assertion} unless null. */
  public static IdentityStamp of(ClientIdentity identity, String assertion) {
    List<Map.Entry<String, String>> headers = identity.headers();
    int n = headers.size() + (assertion == null ? 0 : 1);
    CharSequence[] names = new CharSequence[n];
    CharSequence[] values = new CharSequence[n];
    for (int i = 0; i < headers.size(); i++) {
      names[i] = name(headers.get(i).getKey());
      values[i] = ascii(headers.get(i).getValue());
    }
    if (assertion != null) {
      names[n - 1] = name(IdentityHeaders.TENANT_ASSERTION);
      values[n - 1] = ascii(assertion);
    }
    return new IdentityStamp(names, values);
  }

  private static AsciiString name(String n) {
    AsciiString shared = NAMES.get(n);
    return shared != null ? shared : AsciiString.cached(n);
  }

  /** Sets every stamped header on {@code out}, replacing any value already there. */
  public void stampOnto(MultiMap out) {
    for (int i = 0; i < names.length; i++) {
      out.set(names[i], values[i]);
    }
  }

  /**
   * An AsciiString when every char is ASCII (its bytes are then the string's); anything else (a subject
   * with non-ASCII characters in the XFCC value) stays a String, which the codecs treat as before.
   */
  private static CharSequence ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return s;
      }
    }
    return new AsciiString(s);
  }
}
