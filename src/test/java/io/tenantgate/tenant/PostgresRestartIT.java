package io.tenantgate.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.PostgresProcess;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Postgres itself crashes and comes back — a private server of its own ({@link PostgresProcess}),
 * stopped with {@code pg_ctl -m immediate}: no shutdown checkpoint, crash recovery on the next start —
 * while an agent is served through the gateway and an operator keeps writing to the registry. The
 * agent never notices (the gateway serves its last snapshot); readiness says DEGRADED while the
 * database is away and UP once the gateway has caught up; every write acknowledged before or after the
 * crash is in the database and in the gateway's snapshot; a revocation made after the restart reaches
 * the gateway.
 */
class PostgresRestartIT {

  @Test
  void postgresCrashingUnderLoadLosesNothingAcknowledgedAndTheGatewayCatchesUp() throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    try (PostgresProcess server = PostgresProcess.start();
        PostgresFixture pg = PostgresFixture.create(vertx, server.url())) {
      TenantStore store = pg.store(TestPki.get().root);
      Await.result(store.createTenant("acme", "Acme", "it"));
      ClientCert agent = PostgresFixture.files(Await.result(store.issueComponent(
          ComponentCertSpec.of("agent-001", "acme"), "it")));
      try (GatewayFixture gw = GatewayFixture.start(vertx, cfg -> cfg.put("registry",
          pg.registrySection(server.url())))) {
        AtomicBoolean run = new AtomicBoolean(true);
        List<String> acked = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failedWrites = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        List<String> edgeFailures = Collections.synchronizedList(new ArrayList<>());
        Thread writer = new Thread(() -> {
          for (int i = 0; run.get(); i++) {
            String slug = String.format("crash-%04d", i);
            try {
              Await.result(store.createTenant(slug, slug, "it"), Duration.ofSeconds(10));
              acked.add(slug);
            } catch (Throwable e) {
              failedWrites.incrementAndGet(); // not acknowledged: may or may not be stored
              sleep(50);
            }
          }
        }, "registry-writer");
        Thread edge = new Thread(() -> {
          HttpClient h1 = gw.h1(agent);
          while (run.get()) {
            try {
              Http.Response r = Http.get(h1, "/under-load");
              if (r.status() == 200) {
                served.incrementAndGet();
              } else {
                edgeFailures.add(r.status() + " " + r.body());
              }
            } catch (Throwable e) {
              edgeFailures.add(e.toString());
            }
            sleep(10);
          }
        }, "edge-agent");
        writer.start();
        edge.start();
        try {
          Await.until(() -> acked.size() >= 20, Duration.ofSeconds(30), "writes acknowledged before the crash");
          server.crash();
          Await.until(() -> !gw.gateway.registry().health().upToDate(), Duration.ofSeconds(10),
              "the gateway notices the database is gone");
          assertEquals("DEGRADED", registryCheck(gw));
          int failedBefore = failedWrites.get();
          int servedBefore = served.get();
          Await.until(() -> failedWrites.get() > failedBefore, Duration.ofSeconds(10), "writes fail meanwhile");
          Await.until(() -> served.get() >= servedBefore + 20, Duration.ofSeconds(10),
              "the agent is served while the database is down");
          assertEquals("DEGRADED", registryCheck(gw), "still down");
          server.startServer(); // crash recovery from the WAL
          int ackedAtRestart = acked.size();
          Await.until(() -> acked.size() >= ackedAtRestart + 20, Duration.ofSeconds(30),
              "writes acknowledged again after the restart");
        } finally {
          run.set(false);
          writer.join(15_000);
          edge.join(15_000);
        }
        List<String> all = List.copyOf(acked);
        System.out.printf("postgres crash: %d writes acknowledged, %d refused while it was down; the agent was "
            + "served %d times, %d failures%n", all.size(), failedWrites.get(), served.get(), edgeFailures.size());
        assertEquals(List.of(), edgeFailures, "the agent never noticed");
        assertTrue(served.get() > 0);
        for (String slug : all) {
          assertNotNull(Await.result(store.tenant(slug)), slug + " was acknowledged, then lost");
        }
        Await.until(() -> gw.gateway.registry().health().upToDate()
            && all.stream().allMatch(s -> gw.gateway.registry().snapshot().tenantBySlug(s) != null),
            Duration.ofSeconds(10), "the gateway's snapshot holds every acknowledged write");
        assertEquals("UP", registryCheck(gw));

        assertTrue(Await.result(store.revokeSerial(agent.serialHex(), "key compromise", "it")));
        Await.until(() -> gw.gateway.registry().snapshot().isRevoked(agent.serialHex()), Duration.ofSeconds(5),
            "a revocation after the restart reaches the gateway");
        assertEquals(401, Http.get(gw.h1(agent), "/after-revocation").status());
      }
    } finally {
      Await.result(vertx.close());
    }
  }

  private static String registryCheck(GatewayFixture gw) {
    HttpClient ops = gw.vertx.createHttpClient();
    try {
      JsonObject ready = Await.result(ops.request(HttpMethod.GET, gw.gateway.opsPort(), "127.0.0.1", "/health/ready")
          .compose(r -> r.send().compose(resp -> resp.body().map(b -> b.toJsonObject()))));
      return ready.getJsonObject("checks").getJsonObject("registry").getString("status");
    } finally {
      Await.result(ops.close());
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
