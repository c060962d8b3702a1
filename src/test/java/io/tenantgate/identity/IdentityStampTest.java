package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class IdentityStampTest {
  private static final UUID TENANT = UUID.fromString("6f1c2d3e-4a5b-4c6d-8e7f-001122334455");

  private static ClientIdentity identity(String subject) {
    return ClientIdentity.of(TENANT, "acme", "default", "agent-1", "agent", "ab".repeat(32), "1f", subject, null, "ca");
  }

  private static List<Map.Entry<CharSequence, CharSequence>> stamped(IdentityStamp stamp) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    stamp.stampOnto(out);
    // Vert.x's header map is Netty's HttpHeaders too: what the codecs see, CharSequences as stamped
    List<Map.Entry<CharSequence, CharSequence>> all = new ArrayList<>();
    ((HttpHeaders) out).iteratorCharSequence().forEachRemaining(all::add);
    return all;
  }

  @Test
  void stampsTheIdentityHeadersThenTheAssertionAsPreparedAsciiStrings() {
    ClientIdentity id = identity("CN=agent-1.acme.serviceradar");
    List<Map.Entry<CharSequence, CharSequence>> out = stamped(IdentityStamp.of(id, "h.c.s"));

    assertEquals(id.headers().size() + 1, out.size());
    for (int i = 0; i < id.headers().size(); i++) {
      assertEquals(id.headers().get(i).getKey(), out.get(i).getKey().toString());
      assertEquals(id.headers().get(i).getValue(), out.get(i).getValue().toString());
      assertInstanceOf(AsciiString.class, out.get(i).getKey());
      assertInstanceOf(AsciiString.class, out.get(i).getValue());
    }
    assertEquals(IdentityHeaders.TENANT_ASSERTION, out.get(out.size() - 1).getKey().toString());
    assertEquals("h.c.s", out.get(out.size() - 1).getValue().toString());
  }

  @Test
  void withoutAnAssertionNoAssertionHeaderIsStamped() {
    List<Map.Entry<CharSequence, CharSequence>> out = stamped(IdentityStamp.of(identity("CN=x"), null));
    assertEquals(7, out.size());
    assertFalse(out.stream().anyMatch(e -> e.getKey().toString().equals(IdentityHeaders.TENANT_ASSERTION)));
  }

  @Test
  void aNonAsciiSubjectIsKeptAsTheStringItWas() {
    // an AsciiString would keep only the low byte of each char: the XFCC value must not be altered
    ClientIdentity id = identity("CN=agent-1.acme.serviceradar,O=M\u00fcller \u0141\u00f3d\u017a");
    String xfcc = id.headers().get(6).getValue();
    CharSequence stamped = stamped(IdentityStamp.of(id, null)).get(6).getValue();
    assertEquals(xfcc, stamped.toString());
    assertTrue(stamped instanceof String);
  }

  @Test
  void stampingReplacesValuesAlreadySet() {
    MultiMap out = MultiMap.caseInsensitiveMultiMap().add("X-Tenant-Slug", "globex").add("x-tenant-assertion", "a")
        .add("x-tenant-assertion", "b");
    IdentityStamp.of(identity("CN=x"), "h.c.s").stampOnto(out);
    assertEquals(List.of("acme"), out.getAll("x-tenant-slug"));
    assertEquals(List.of("h.c.s"), out.getAll("x-tenant-assertion"));
  }
}
