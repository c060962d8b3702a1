package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.identity.ClientIdentity;
import io.tenantgate.identity.IdentityHeaders;
import io.tenantgate.testing.FuzzTries;
import io.tenantgate.testing.Hostile;
import io.vertx.core.MultiMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * Strip, then stamp (STYLE rule 6) on generated header sets: whatever names and values a client
 * sends, in any case and with '_' for '-', core gets each identity header exactly once with the
 * certificate's value, the gateway's assertion or none, the gateway's forwarding headers, no
 * hop-by-hop or Connection-named header, and every ordinary header unchanged. Never an exception.
 */
@AddLifecycleHook(FuzzTries.class)
class HeaderPolicyPropertiesTest {
  private static final UUID TENANT = UUID.fromString("00000000-0000-4000-8000-000000000001");
  private static final String SHA = "c".repeat(64);
  private static final List<Map.Entry<String, String>> STAMPED = List.of(
      Map.entry(IdentityHeaders.TENANT_ID, TENANT.toString()),
      Map.entry(IdentityHeaders.TENANT_SLUG, "acme"),
      Map.entry(IdentityHeaders.PARTITION_ID, "default"),
      Map.entry(IdentityHeaders.COMPONENT_ID, "agent-001"),
      Map.entry(IdentityHeaders.COMPONENT_TYPE, "agent"),
      Map.entry(IdentityHeaders.CLIENT_CERT_SHA256, SHA),
      Map.entry(IdentityHeaders.XFCC, "Hash=" + SHA + ";Subject=\"CN=agent-001.acme.serviceradar\""));
  private static final ClientIdentity IDENTITY = new ClientIdentity(TENANT, "acme", "default", "agent-001", "agent", SHA,
      "1f", "CN=agent-001.acme.serviceradar", null, "d".repeat(64), STAMPED);
  private static final RequestMeta META = new RequestMeta("req-fuzz", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "203.0.113.9", "gateway.example:443");
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
      "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-authorization", "host",
      "content-length", "http2-settings", "expect");
  private static final Set<String> GATEWAY_SET = Set.of(RequestMeta.REQUEST_ID, RequestMeta.TRACEPARENT,
      "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", IdentityHeaders.TENANT_ASSERTION);

  @Property(tries = 1500)
  void nothingAClientSendsSurvivesUnderATrustedName(@ForAll("headerSets") List<Tuple.Tuple2<String, String>> sent,
      @ForAll("assertions") String assertion, @ForAll boolean grpc) {
    MultiMap in = MultiMap.caseInsensitiveMultiMap();
    for (Tuple.Tuple2<String, String> h : sent) {
      in.add(h.get1(), h.get2());
    }

    MultiMap out = HeaderPolicy.forUpstream(in, IDENTITY, assertion.isEmpty() ? null : assertion, META, grpc);

    for (Map.Entry<String, String> s : STAMPED) {
      assertEquals(List.of(s.getValue()), out.getAll(s.getKey()), s.getKey());
    }
    assertEquals(assertion.isEmpty() ? List.of() : List.of(assertion), out.getAll(IdentityHeaders.TENANT_ASSERTION));
    assertEquals(List.of(META.requestId()), out.getAll(RequestMeta.REQUEST_ID));
    assertEquals(List.of(META.traceparent()), out.getAll(RequestMeta.TRACEPARENT));
    assertEquals(List.of(META.peerHost()), out.getAll("x-forwarded-for"));
    assertEquals(List.of("https"), out.getAll("x-forwarded-proto"));
    assertEquals(List.of(META.authority()), out.getAll("x-forwarded-host"));
    Set<String> named = connectionNamed(in);
    Set<String> stampedNames = new HashSet<>(GATEWAY_SET);
    STAMPED.forEach(s -> stampedNames.add(s.getKey()));
    for (String name : out.names()) {
      String n = name.toLowerCase(Locale.ROOT);
      String dashed = n.replace('_', '-');
      if (stampedNames.contains(n)) {
        continue;
      }
      assertFalse(IdentityHeaders.isIdentityHeader(n), "an identity header survived: " + name);
      assertFalse(dashed.startsWith("x-forwarded-") || Set.of("forwarded", "x-real-ip").contains(dashed),
          "a forwarding header survived: " + name);
      assertFalse(HOP_BY_HOP.contains(n) && !(grpc && n.equals("te")), "hop-by-hop survived: " + name);
      assertFalse(named.contains(n), "a Connection-named header survived: " + name);
      assertFalse(n.startsWith(":"), "a pseudo-header survived: " + name);
    }
    if (out.contains("te")) {
      assertTrue(grpc && out.getAll("te").equals(List.of("trailers")), "te: " + out.getAll("te"));
    }
    for (Tuple.Tuple2<String, String> h : sent) {
      String n = h.get1().toLowerCase(Locale.ROOT);
      if (ordinary(n, named)) {
        assertTrue(out.getAll(n).contains(h.get2()), "an ordinary header was lost: " + h);
      }
    }
  }

  @Property(tries = 2000)
  void responseHeadersLoseOnlyHopByHopOnes(@ForAll("headerSets") List<Tuple.Tuple2<String, String>> sent,
      @ForAll boolean keepLength) {
    MultiMap from = MultiMap.caseInsensitiveMultiMap();
    sent.forEach(h -> from.add(h.get1(), h.get2()));
    MultiMap to = MultiMap.caseInsensitiveMultiMap();
    HeaderPolicy.copyResponseHeaders(from, to, keepLength);
    Set<String> named = connectionNamed(from);
    for (String name : to.names()) {
      String n = name.toLowerCase(Locale.ROOT);
      assertFalse(HOP_BY_HOP.contains(n) && !(keepLength && n.equals("content-length")), name);
      assertFalse(named.contains(n) || n.startsWith(":"), name);
    }
  }

  private static boolean ordinary(String n, Set<String> named) {
    String dashed = n.replace('_', '-');
    return !n.startsWith(":") && !HOP_BY_HOP.contains(n) && !named.contains(n) && !IdentityHeaders.isIdentityHeader(n)
        && !dashed.startsWith("x-forwarded-") && !Set.of("forwarded", "x-real-ip", "x-original-forwarded-for")
        .contains(dashed) && !GATEWAY_SET.contains(n);
  }

  private static Set<String> connectionNamed(MultiMap headers) {
    Set<String> out = new HashSet<>();
    for (String c : headers.getAll("connection")) {
      for (String tok : c.split(",")) {
        out.add(tok.trim().toLowerCase(Locale.ROOT));
      }
    }
    return out;
  }

  // --- generators ---------------------------------------------------------------------------------

  /** Header names an attacker would try: identity and forwarding names in any case and with '_', and noise. */
  @Provide
  Arbitrary<String> names() {
    Arbitrary<String> known = Arbitraries.of("X-Tenant-Id", "x-tenant-slug", "X-Partition-Id", "x-component-id",
        "X-Component-Type", "x-client-cert-sha256", "x-client-cert", "X-Forwarded-Client-Cert", "x-tenant-assertion",
        "client-cert", "client-cert-chain", "x-ssl-client-verify", "x-client-verify", "X-Forwarded-For",
        "x-forwarded-host", "Forwarded", "X-Real-IP", "x-original-forwarded-for", "Connection", "Keep-Alive",
        "Transfer-Encoding", "TE", "Upgrade", "Host", "Content-Length", "Expect", "Proxy-Authorization",
        "x-request-id", "traceparent", ":authority", ":path", "X-Tenant-Anything", "x-ordinary", "accept",
        "content-type", "authorization", "grpc-timeout");
    Arbitrary<String> mangled = known.flatMap(n -> Arbitraries.integers().between(0, 3).map(mode -> switch (mode) {
      case 0 -> n.toUpperCase(Locale.ROOT);
      case 1 -> n.replace('-', '_');
      case 2 -> n.toLowerCase(Locale.ROOT).replace("-", "_").toUpperCase(Locale.ROOT);
      default -> n;
    }));
    Arbitrary<String> token = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').numeric()
        .withChars("-_!#$%&'*+.^`|~").ofMinLength(1).ofMaxLength(30);
    return Arbitraries.oneOf(known, mangled, token, Hostile.strings());
  }

  @Provide
  Arbitrary<List<Tuple.Tuple2<String, String>>> headerSets() {
    Arbitrary<String> value = Arbitraries.oneOf(Hostile.strings(), Hostile.visibleAscii(60),
        names().list().ofMaxSize(4).map(l -> String.join(", ", l)), Arbitraries.of("trailers", "globex", "chunked"));
    return Combinators.combine(names(), value).as(Tuple::of).list().ofMaxSize(12);
  }

  @Provide
  Arbitrary<String> assertions() {
    return Arbitraries.oneOf(Arbitraries.just(""), Arbitraries.strings().alpha().numeric().withChars('.', '-', '_')
        .ofMinLength(1).ofMaxLength(40));
  }
}
