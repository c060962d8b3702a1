package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.identity.ClientIdentity;
import io.tenantgate.identity.IdentityHeaders;
import io.tenantgate.identity.IdentityStamp;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DESIGN.md section 2 and STYLE rule 6: strip, then stamp. */
class HeaderPolicyTest {

  private static final UUID TENANT = UUID.fromString("6f1c2d3e-4a5b-4c6d-8e7f-001122334455");
  private static final String SHA = "a".repeat(64);
  private static final String XFCC = "Hash=" + SHA + ";Subject=\"CN=agent-001.acme.serviceradar\";"
      + "URI=spiffe://serviceradar.local/agent/acme/default/agent-001";
  private static final ClientIdentity IDENTITY = new ClientIdentity(TENANT, "acme", "default", "agent-001", "agent",
      SHA, "1f3a", "CN=agent-001.acme.serviceradar", "spiffe://serviceradar.local/agent/acme/default/agent-001",
      "b".repeat(64), List.of(
          Map.entry(IdentityHeaders.TENANT_ID, TENANT.toString()),
          Map.entry(IdentityHeaders.TENANT_SLUG, "acme"),
          Map.entry(IdentityHeaders.PARTITION_ID, "default"),
          Map.entry(IdentityHeaders.COMPONENT_ID, "agent-001"),
          Map.entry(IdentityHeaders.COMPONENT_TYPE, "agent"),
          Map.entry(IdentityHeaders.CLIENT_CERT_SHA256, SHA),
          Map.entry(IdentityHeaders.XFCC, XFCC)));
  private static final RequestMeta META = new RequestMeta("req-42", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "203.0.113.7", "gateway.example.org:50052");

  private static MultiMap headers(String... nameValues) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < nameValues.length; i += 2) {
      m.add(nameValues[i], nameValues[i + 1]);
    }
    return m;
  }

  private static MultiMap forUpstream(MultiMap in) {
    return HeaderPolicy.forUpstream(in, IDENTITY, null, META, false);
  }

  private static boolean anyValueIs(MultiMap m, String value) {
    return m.entries().stream().anyMatch(e -> e.getValue().equals(value));
  }

  // ---- hop-by-hop ------------------------------------------------------------------------

  @Test
  void stripsHopByHopHeaders() {
    MultiMap out = forUpstream(headers(
        "Connection", "keep-alive", "Keep-Alive", "timeout=5", "Transfer-Encoding", "chunked",
        "Upgrade", "websocket", "TE", "trailers", "Trailer", "grpc-status", "Proxy-Connection", "keep-alive",
        "Proxy-Authorization", "Basic Zm9vOmJhcg==", "Proxy-Authenticate", "Basic", "Host", "evil.example.com",
        "Content-Length", "12", "HTTP2-Settings", "AAMAAABkAAQAAP__",
        "Accept", "application/json"));

    for (String name : List.of("connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer",
        "proxy-connection", "proxy-authorization", "proxy-authenticate", "host", "content-length", "http2-settings")) {
      assertFalse(out.contains(name), name + " was forwarded");
    }
    assertEquals("application/json", out.get("accept"));
  }

  @Test
  void stripsHeadersNamedInConnection() {
    MultiMap out = forUpstream(headers("Connection", "Keep-Alive,  X-Hop-One ,x-hop-two", "X-Hop-One", "1",
        "x-HOP-two", "2", "X-Kept", "3"));
    assertFalse(out.contains("x-hop-one"));
    assertFalse(out.contains("x-hop-two"));
    assertEquals("3", out.get("x-kept"));
  }

  @Test
  void stripsHeadersNamedInEveryConnectionHeader() {
    MultiMap out = forUpstream(headers("Connection", "keep-alive", "Connection", "x-hop", "X-Hop", "1"));
    assertFalse(out.contains("x-hop"));
  }

  @Test
  void teTrailersTravelsOnWhenKept() {
    MultiMap out = HeaderPolicy.forUpstream(headers("TE", "Trailers", "content-type", "application/grpc"), IDENTITY,
        null, META, true);
    assertEquals(List.of("trailers"), out.getAll("te"));
    assertEquals("application/grpc", out.get("content-type"));
  }

  @Test
  void teTrailersIsDroppedWhenNotKept() {
    assertFalse(forUpstream(headers("te", "trailers")).contains("te"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "trailers, deflate", "deflate"})
  void teOtherThanTrailersIsDroppedEvenWhenKept(String te) {
    assertFalse(HeaderPolicy.forUpstream(headers("te", te), IDENTITY, null, META, true).contains("te"));
  }

  @Test
  void pseudoHeadersAreNotCopied() {
    MultiMap out = forUpstream(headers(":authority", "evil", ":path", "/x", "accept", "*/*"));
    assertFalse(out.contains(":authority"));
    assertFalse(out.contains(":path"));
    assertEquals("*/*", out.get("accept"));
  }

  // ---- identity headers ------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {
      "X-Tenant-Id", "x-tenant-id", "X-TENANT-SLUG", "x-Tenant-Anything", "X-Tenant-Assertion",
      "X-Partition-Id", "X-Component-Id", "X-Component-Type", "X-Client-Cert-Sha256", "X-Client-Cert",
      "X-Forwarded-Client-Cert", "Client-Cert", "Client-Cert-Chain", "X-SSL-Client-Cert", "X-Client-Verify",
  })
  void stripsEveryInboundIdentityHeaderInAnyCase(String name) {
    MultiMap out = forUpstream(headers(name, "forged-by-client"));

    assertFalse(anyValueIs(out, "forged-by-client"), () -> name + " survived: " + out);
    String lower = name.toLowerCase(Locale.ROOT);
    boolean stamped = IDENTITY.headers().stream().anyMatch(e -> e.getKey().equals(lower));
    assertEquals(stamped, out.contains(lower), lower);
  }

  @Test
  void stampsTheVerifiedIdentityExactlyOnce() {
    MultiMap out = forUpstream(headers("X-Tenant-Id", "00000000-0000-0000-0000-000000000000",
        "x-tenant-id", "another", "X-Tenant-Slug", "globex", "X-Forwarded-Client-Cert", "Hash=00"));

    for (Map.Entry<String, String> h : IDENTITY.headers()) {
      assertEquals(List.of(h.getValue()), out.getAll(h.getKey()), h.getKey());
    }
    assertEquals(TENANT.toString(), out.get("x-tenant-id"));
    assertEquals(XFCC, out.get("x-forwarded-client-cert"));
  }

  @Test
  void assertionHeaderFromTheClientNeverSurvives() {
    MultiMap out = forUpstream(headers("X-Tenant-Assertion", "eyJhbGciOiJub25lIn0.e30."));
    assertFalse(out.contains(IdentityHeaders.TENANT_ASSERTION));
  }

  // ---- forwarding headers ----------------------------------------------------------------

  @Test
  void stripsForwardingHeadersThenSetsThem() {
    MultiMap out = forUpstream(headers("X-Forwarded-For", "6.6.6.6", "x-forwarded-for", "7.7.7.7",
        "X-Forwarded-Host", "evil.example.com", "X-Forwarded-Proto", "http", "X-Forwarded-Port", "80",
        "X-Real-IP", "6.6.6.6", "Forwarded", "for=6.6.6.6;proto=http"));

    assertEquals(List.of("203.0.113.7"), out.getAll("x-forwarded-for"));
    assertEquals(List.of("https"), out.getAll("x-forwarded-proto"));
    assertEquals(List.of("gateway.example.org:50052"), out.getAll("x-forwarded-host"));
    assertFalse(out.contains("x-forwarded-port"));
    assertFalse(out.contains("x-real-ip"));
    assertFalse(out.contains("forwarded"));
  }

  @Test
  void withoutAnAuthorityNoForwardedHostIsSet() {
    RequestMeta meta = new RequestMeta("r", META.traceparent(), "10.0.0.1", null);
    MultiMap out = HeaderPolicy.forUpstream(headers("X-Forwarded-Host", "evil.example.com"), IDENTITY, null, meta, false);
    assertNull(out.get("x-forwarded-host"));
    assertEquals("10.0.0.1", out.get("x-forwarded-for"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"X-Forwarded-Prefix", "X-Forwarded-Server", "X-Forwarded-Ssl", "X-Forwarded-Scheme",
      "X-Forwarded-Path"})
  void stripsEveryXForwardedHeader(String name) {
    assertFalse(forUpstream(headers(name, "forged-by-client")).contains(name));
  }

  // ---- correlation -----------------------------------------------------------------------

  @Test
  void requestIdAndTraceparentComeFromRequestMeta() {
    MultiMap out = forUpstream(headers("X-Request-Id", "client-id", "TraceParent",
        "00-11111111111111111111111111111111-2222222222222222-01"));
    assertEquals(List.of("req-42"), out.getAll("x-request-id"));
    assertEquals(List.of(META.traceparent()), out.getAll("traceparent"));
  }

  // ---- what passes -----------------------------------------------------------------------

  @Test
  void endToEndHeadersPassInOrderWithLowercaseNames() {
    MultiMap out = forUpstream(headers("Accept", "text/html", "accept", "application/json", "Authorization",
        "Bearer t", "Content-Type", "application/json", "Cookie", "a=1", "User-Agent", "agent/1.0",
        "Grpc-Timeout", "5S", "tracestate", "vendor=1"));

    assertEquals(List.of("text/html", "application/json"), out.getAll("accept"));
    assertEquals("Bearer t", out.get("authorization"));
    assertEquals("application/json", out.get("content-type"));
    assertEquals("a=1", out.get("cookie"));
    assertEquals("agent/1.0", out.get("user-agent"));
    assertEquals("5S", out.get("grpc-timeout"));
    assertEquals("vendor=1", out.get("tracestate"));
    for (String name : out.names()) {
      assertEquals(name.toLowerCase(Locale.ROOT), name);
    }
  }

  @Test
  void theInboundHeadersAreNotModified() {
    MultiMap in = headers("X-Tenant-Id", "forged", "Connection", "close", "Accept", "*/*");
    forUpstream(in);
    assertEquals("forged", in.get("x-tenant-id"));
    assertEquals("close", in.get("connection"));
    assertEquals(3, in.size());
  }

  // ---- responses -------------------------------------------------------------------------

  @Test
  void responseHeadersLoseHopByHopOnes() {
    MultiMap to = MultiMap.caseInsensitiveMultiMap();
    HeaderPolicy.copyResponseHeaders(headers("Connection", "x-internal", "X-Internal", "1", "Transfer-Encoding",
        "chunked", "Keep-Alive", "timeout=5", "Content-Length", "42", "Content-Type", "text/plain", "Set-Cookie",
        "a=1", "Set-Cookie", "b=2"), to, false);

    assertFalse(to.contains("connection"));
    assertFalse(to.contains("x-internal"));
    assertFalse(to.contains("transfer-encoding"));
    assertFalse(to.contains("keep-alive"));
    assertFalse(to.contains("content-length"));
    assertEquals("text/plain", to.get("content-type"));
    assertEquals(List.of("a=1", "b=2"), to.getAll("set-cookie"));
  }

  @Test
  void responseContentLengthIsKeptWhenAsked() {
    MultiMap to = MultiMap.caseInsensitiveMultiMap();
    HeaderPolicy.copyResponseHeaders(headers("Content-Length", "42", "Transfer-Encoding", "chunked"), to, true);
    assertEquals("42", to.get("content-length"));
    assertFalse(to.contains("transfer-encoding"));
  }

  @Test
  void responseHeadersAddToWhatIsThere() {
    MultiMap to = headers("x-request-id", "req-42");
    HeaderPolicy.copyResponseHeaders(headers("X-Upstream", "core-1"), to, false);
    assertEquals("req-42", to.get("x-request-id"));
    assertEquals("core-1", to.get("x-upstream"));
    assertTrue(to.size() == 2);
  }

  @Test
  void theGatewaysAssertionReplacesAnyInboundOne() {
    MultiMap out = HeaderPolicy.forUpstream(headers("X-Tenant-Assertion", "forged"), IDENTITY, "signed.jws.token", META,
        false);
    assertEquals(List.of("signed.jws.token"), out.getAll("x-tenant-assertion"));
  }

  @Test
  void oneStampPreparedOnceServesEveryRequestAndStillReplacesWhatEachClaims() {
    IdentityStamp stamp = IdentityStamp.of(IDENTITY, "signed.jws.token");
    MultiMap first = HeaderPolicy.forUpstream(headers("X-Tenant-Slug", "globex", "x-tenant-assertion", "forged"), stamp,
        META, false);
    MultiMap second = HeaderPolicy.forUpstream(headers("X_Tenant_Id", "00000000-0000-0000-0000-000000000000",
        "accept", "*/*"), stamp, new RequestMeta("req-43", META.traceparent(), "198.51.100.9", null), false);

    for (MultiMap out : List.of(first, second)) {
      for (Map.Entry<String, String> h : IDENTITY.headers()) {
        assertEquals(List.of(h.getValue()), out.getAll(h.getKey()), h.getKey());
      }
      assertEquals(List.of("signed.jws.token"), out.getAll("x-tenant-assertion"));
      assertFalse(anyValueIs(out, "globex"));
      assertFalse(anyValueIs(out, "forged"));
    }
    assertEquals("req-42", first.get("x-request-id"));
    assertEquals("req-43", second.get("x-request-id"));
    assertEquals(List.of("198.51.100.9"), second.getAll("x-forwarded-for"));
    assertFalse(second.contains("x-forwarded-host"));
    assertEquals("*/*", second.get("accept"));
  }

  @Test
  void theStampedPathBuildsExactlyWhatTheIdentityPathBuilds() {
    MultiMap in = headers("Accept", "*/*", "X-Tenant-Id", "forged", "TE", "trailers", "X-Forwarded-For", "6.6.6.6");
    MultiMap viaIdentity = HeaderPolicy.forUpstream(in, IDENTITY, "signed.jws.token", META, true);
    MultiMap viaStamp = HeaderPolicy.forUpstream(in, IdentityStamp.of(IDENTITY, "signed.jws.token"), META, true);
    assertEquals(viaIdentity.entries().stream().map(e -> e.getKey() + ": " + e.getValue()).toList(),
        viaStamp.entries().stream().map(e -> e.getKey() + ": " + e.getValue()).toList());
    assertEquals("trailers", viaStamp.get("te"));
  }
}
