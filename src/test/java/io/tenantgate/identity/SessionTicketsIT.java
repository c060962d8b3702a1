package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionCounter;
import io.tenantgate.pki.Pem;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.RawTls;
import io.tenantgate.testing.TestPki;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cheap paths into the edge, and what they must not skip. TLS 1.3 session tickets on the BoringSSL engine: replicas sharing a ticket secret resume each
 * other's sessions, a replica with its own secret refuses them (full handshake, still served), a TLS
 * material reload retires every ticket, and a resumed session never carries a certificate past its
 * validity. A full handshake with a chain validated before skips PKIX (edge.tls.verifiedChainCacheSize).
 */
class SessionTicketsIT {
  private static final String GET = "GET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  private Vertx vertx;
  private TestPki pki;
  private Path dir;
  private final List<GatewayFixture> gateways = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(io.vertx.core.net.OpenSSLEngineOptions.isAvailable(),
        "BoringSSL (netty-tcnative) not available");
    vertx = GatewayFixture.testVertx();
    pki = TestPki.get();
    dir = Files.createTempDirectory("tickets-it");
    byte[] secret = new byte[48];
    new SecureRandom().nextBytes(secret);
    Files.writeString(dir.resolve("ticket.key"), Base64.getEncoder().encodeToString(secret) + "\n");
    Files.copy(pki.rootPem(), dir.resolve("roots.pem"));
  }

  @AfterEach
  void tearDown() {
    gateways.forEach(GatewayFixture::close);
    if (vertx != null) {
      Await.result(vertx.close());
    }
  }

  @SuppressWarnings("unchecked")
  private GatewayFixture gateway(boolean sharedKey, boolean ownRoots) {
    GatewayFixture gw = GatewayFixture.start(vertx, cfg -> {
      var tls = (Map<String, Object>) ((Map<String, Object>) cfg.get("edge")).get("tls");
      tls.put("engine", "openssl");
      Map<String, Object> tickets = new LinkedHashMap<>();
      if (sharedKey) {
        tickets.put("keyFile", dir.resolve("ticket.key").toString());
      }
      tls.put("sessionTickets", tickets);
      if (ownRoots) {
        tls.put("clientCaFile", dir.resolve("roots.pem").toString());
        tls.put("reloadInterval", "200ms");
      }
    });
    gateways.add(gw);
    return gw;
  }

  private static double tickets(GatewayFixture gw, String event) {
    FunctionCounter c = gw.gateway.metrics().registry().find("tenantgate.tls.tickets").tag("event", event)
        .functionCounter();
    return c == null ? -1 : c.count();
  }

  private static void assertServed(String response) {
    assertTrue(response.startsWith("HTTP/1.1 200"), response);
  }

  @Test
  void aTicketFromOneReplicaResumesOnAnotherSharingTheSecretAndNotOnAStranger() throws Exception {
    GatewayFixture a = gateway(true, false);
    GatewayFixture b = gateway(true, false);
    GatewayFixture stranger = gateway(false, false);
    RawTls agent = RawTls.of(pki, pki.component(pki.acmeCa, "agent-tickets", "acme"));
    // the agent reconnects to one address; the "load balancer" in front picks the replica
    AtomicInteger replica = new AtomicInteger(a.edgePort());
    int balancer = balancer(replica);

    assertServed(agent.exchangeResuming(balancer, "edge.example", GET));
    assertTrue(tickets(a, "issued") >= 1, "a full handshake gets a ticket");
    assertEquals(0, tickets(a, "resumed"));

    replica.set(b.edgePort());
    assertServed(agent.exchangeResuming(balancer, "edge.example", GET));
    assertTrue(tickets(b, "resumed") >= 1, "B resumed A's ticket");
    assertEquals(0, tickets(b, "rejected"));
    assertEquals("acme", b.core.last().header("x-tenant-slug"), "the resumed session still carries the identity");

    replica.set(stranger.edgePort());
    assertServed(agent.exchangeResuming(balancer, "edge.example", GET));
    assertEquals(0, tickets(stranger, "resumed"));
    assertTrue(tickets(stranger, "rejected") >= 1, "a replica with its own secret cannot open the ticket");
  }

  /** A TCP forwarder to whichever port {@code target} holds: one address for the client, as behind a load balancer. */
  private int balancer(AtomicInteger target) {
    NetClient client = vertx.createNetClient();
    NetServer server = vertx.createNetServer().connectHandler(in -> {
      in.pause();
      client.connect(target.get(), "127.0.0.1").onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        in.pipeTo(out);
        out.pipeTo(in);
        in.resume();
      });
    });
    return Await.result(server.listen(0, "127.0.0.1")).actualPort();
  }

  @Test
  void aFullHandshakeWithAnAlreadyValidatedChainSkipsPkixButNotTheRules() throws Exception {
    GatewayFixture a = GatewayFixture.start(vertx, cfg -> { });
    gateways.add(a);
    TestPki.ClientCert cert = pki.component(pki.acmeCa, "agent-reconnect", "acme");
    double validated = a.gateway.metrics().registry().find("tenantgate.tls.chain.validations")
        .tag("result", "validated").functionCounter().count();
    // a fresh client context each time: no session to resume, two full handshakes
    assertServed(RawTls.of(pki, cert).exchange(a.edgePort(), GET, 3_000));
    assertServed(RawTls.of(pki, cert).exchange(a.edgePort(), GET, 3_000));
    FunctionCounter cached = a.gateway.metrics().registry().find("tenantgate.tls.chain.validations")
        .tag("result", "cached").functionCounter();
    assertTrue(cached.count() >= 1, "the second handshake found the chain already validated");
    assertTrue(a.gateway.metrics().registry().find("tenantgate.tls.chain.validations").tag("result", "validated")
        .functionCounter().count() > validated);
  }

  @Test
  void aReloadOfTheTlsMaterialRetiresEveryTicket() throws Exception {
    GatewayFixture a = gateway(false, true);
    RawTls agent = RawTls.of(pki, pki.component(pki.acmeCa, "agent-reload", "acme"));
    assertServed(agent.exchangeResuming(a.edgePort(), "edge.example", GET));
    assertServed(agent.exchangeResuming(a.edgePort(), "edge.example", GET));
    double resumed = tickets(a, "resumed");
    assertTrue(resumed >= 1, "resumes before the reload");

    double applied = a.gateway.metrics().count("tenantgate.tls.reloads", "outcome", "applied");
    Files.writeString(dir.resolve("roots.pem"), Pem.certificates(pki.foreignRoot.certificate()),
        StandardCharsets.US_ASCII, StandardOpenOption.APPEND);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (a.gateway.metrics().count("tenantgate.tls.reloads", "outcome", "applied") <= applied) {
      assertTrue(System.nanoTime() < deadline, "the roots change was not reloaded");
      Thread.sleep(50);
    }
    double rejected = tickets(a, "rejected");
    assertServed(agent.exchangeResuming(a.edgePort(), "edge.example", GET));
    assertEquals(resumed, tickets(a, "resumed"), "no ticket from before the reload resumes");
    assertTrue(tickets(a, "rejected") > rejected);
  }

  @Test
  void aResumedSessionDoesNotCarryAnExpiredCertificatePastItsValidity() throws Exception {
    GatewayFixture a = gateway(false, false);
    Instant notAfter = Instant.now().plusSeconds(3);
    TestPki.ClientCert shortLived = pki.custom(pki.acmeCa, b -> TestPki.validity(
        TestPki.leafBuilder(b, "agent-short.acme.serviceradar"), Instant.now().minusSeconds(60), notAfter));
    RawTls agent = RawTls.of(pki, shortLived);
    assertServed(agent.exchangeResuming(a.edgePort(), "edge.example", GET));
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), notAfter).toMillis()) + 1_200);

    double resumed = tickets(a, "resumed");
    double expired = a.refusals("expired");
    String response = agent.exchangeResuming(a.edgePort(), "edge.example", GET);
    assertTrue(tickets(a, "resumed") > resumed, "the client resumed (no certificate check in the handshake)");
    assertTrue(response.startsWith("HTTP/1.1 401") || response.startsWith("HTTP/1.1 403"), response);
    assertTrue(response.contains("expired"), response);
    assertTrue(a.refusals("expired") > expired);
  }
}
