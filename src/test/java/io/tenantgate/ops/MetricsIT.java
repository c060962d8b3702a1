package io.tenantgate.ops;

import static io.tenantgate.testing.Http.get;
import static io.tenantgate.testing.Http.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantStatus;
import io.tenantgate.testing.AlwaysSendKeyManager;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.TestPki;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /metrics as an operator scrapes it: per-tenant families, bounded tenant labels. */
class MetricsIT {
  private static final Pattern SERIES = Pattern.compile("^(tenantgate_[a-z_]+)\\{([^}]*)}", Pattern.MULTILINE);
  private Vertx vertx;
  private TestPki pki;

  @BeforeEach
  void start() {
    vertx = GatewayFixture.testVertx();
    pki = TestPki.get();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  @Test
  void trafficFromTwoTenantsShowsPerTenantSeriesForEveryFamily() {
    try (GatewayFixture gw = GatewayFixture.start(vertx)) {
      for (var ca : List.of(pki.acmeCa, pki.globexCa)) {
        String slug = ca == pki.acmeCa ? "acme" : "globex";
        var c = gw.h2(pki.component(ca, "agent-m", slug));
        assertEquals(200, get(c, "/m").status());
        assertEquals(200, post(c, "/upload", 1000).status());
      }
      get(gw.h1(pki.component(pki.initechCa, "agent-m", "initech")), "/refused");
      String text = scrape(gw);
      for (String family : List.of("tenantgate_requests_total", "tenantgate_request_duration_seconds_bucket",
          "tenantgate_upstream_duration_seconds_bucket", "tenantgate_gateway_duration_seconds_bucket",
          "tenantgate_bytes_in_total", "tenantgate_bytes_out_total", "tenantgate_connections_active",
          "tenantgate_handshakes_total", "tenantgate_assertions_signed_total")) {
        Set<String> tenants = tenantsOf(text, family);
        assertTrue(tenants.containsAll(Set.of("acme", "globex")), family + " has " + tenants);
      }
      assertTrue(tenantsOf(text, "tenantgate_refusals_total").contains("initech"));
      assertTrue(text.contains("reason=\"tenant_suspended\""));
      for (String global : List.of("tenantgate_registry_snapshot_age_seconds", "tenantgate_registry_tenants",
          "jvm_memory_used_bytes", "jvm_gc_", "tenantgate_event_loop_delay_seconds_count", "process_cpu_usage",
          "tenantgate_netty_pool_used_bytes", "process_files_open_files")) {
        Await.until(() -> scrape(gw).contains(global), Duration.ofSeconds(5), global);
      }
      System.gc();
      String afterGc = scrape(gw);
      for (String gauge : List.of("tenantgate_registry_snapshot_age_seconds", "tenantgate_registry_tenants",
          "tenantgate_server_certificate_expiry_seconds", "tenantgate_registry_revoked_serials")) {
        Matcher v = Pattern.compile("^" + gauge + "(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE).matcher(afterGc);
        assertTrue(v.find(), gauge);
        assertTrue(!v.group(2).equals("NaN"), gauge + " reads NaN after a GC (weakly held gauge)");
      }
      assertTrue(Double.parseDouble(valueOf(afterGc, "tenantgate_server_certificate_expiry_seconds")) > 86_400);
    }
  }

  @Test
  void withACapOfOneTheSecondTenantLandsInOther() {
    try (GatewayFixture gw = GatewayFixture.start(vertx, cfg -> ops(cfg).put("tenantTagCap", 1))) {
      assertEquals(200, get(gw.h1(pki.component(pki.acmeCa, "agent-cap", "acme")), "/a").status());
      assertEquals(200, get(gw.h1(pki.component(pki.globexCa, "agent-cap", "globex")), "/b").status());
      Set<String> tenants = tenantsOf(scrape(gw), "tenantgate_requests_total");
      assertEquals(Set.of("acme", "other"), tenants);
    }
  }

  @Test
  void seriesStayBoundedWhenAThousandTenantsConnect() throws Exception {
    int n = 1000;
    RegistryFile registry = pki.registry();
    List<TestPki.ClientCert> certs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String slug = "t" + i;
      UUID id = UUID.randomUUID();
      CertAndKey ca = Pki.createTenantCa(pki.root, slug, TestPki.TD, Duration.ofDays(30), KeyAlgorithm.EC_P256);
      registry.addTenant(new Tenant(id, slug, slug, TenantStatus.ACTIVE))
          .addCa(id, Pem.certificates(ca.certificate()), TenantStatus.ACTIVE);
      certs.add(pki.component(ca, "agent-1", slug));
    }
    try (GatewayFixture gw = GatewayFixture.start(vertx, cfg -> ops(cfg).put("tenantTagCap", 20))) {
      gw.writeRegistry(registry);
      Await.until(() -> gw.gateway.registry().snapshot().tenants().size() == n + 3, Duration.ofSeconds(10),
          "registry with 1000 tenants");
      // one client, a new connection (and so a new identity) per request
      var client = vertx.createHttpClient(gw.baseOptions(io.vertx.core.http.HttpVersion.HTTP_1_1).setKeepAlive(false)
          .setKeyCertOptions(io.vertx.core.net.KeyCertOptions.wrap(AlwaysSendKeyManager.rotating(certs))),
          new io.vertx.core.http.PoolOptions().setHttp1MaxSize(16));
      List<Future<Integer>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        all.add(client.request(HttpMethod.GET, "/t").compose(r -> r.send()).map(r -> r.statusCode()));
      }
      Await.result(Future.all(all), Duration.ofSeconds(120));
      all.forEach(f -> assertEquals(200, f.result()));
      Await.result(client.close());
      assertEquals(n, tenantsOfAcceptedHandshakes(gw), "every tenant connected once");
      String text = scrape(gw);
      Set<String> tenants = tenantsOf(text, "tenantgate_requests_total");
      assertEquals(21, tenants.size(), "20 labelled tenants + other: " + tenants.size());
      assertTrue(tenants.contains("other"));
      long requestSeries = SERIES.matcher(text).results().filter(m -> m.group(1).equals("tenantgate_requests_total")).count();
      assertTrue(requestSeries <= 21, "series: " + requestSeries);
    }
  }

  private static String valueOf(String text, String gauge) {
    Matcher v = Pattern.compile("^" + gauge + "(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE).matcher(text);
    assertTrue(v.find(), gauge);
    return v.group(2);
  }

  private static long tenantsOfAcceptedHandshakes(GatewayFixture gw) {
    return (long) gw.gateway.metrics().registry().find("tenantgate.handshakes").tag("outcome", "ok").counters()
        .stream().mapToDouble(c -> c.count()).sum();
  }

  private static Set<String> tenantsOf(String text, String family) {
    Set<String> out = new java.util.TreeSet<>();
    Matcher m = SERIES.matcher(text);
    while (m.find()) {
      if (m.group(1).equals(family)) {
        Matcher t = Pattern.compile("tenant=\"([^\"]*)\"").matcher(m.group(2));
        if (t.find()) {
          out.add(t.group(1));
        }
      }
    }
    return out;
  }

  private String scrape(GatewayFixture gw) {
    var ops = vertx.createHttpClient();
    try {
      return Await.result(ops.request(HttpMethod.GET, gw.gateway.opsPort(), "127.0.0.1", "/metrics")
          .compose(r -> r.send().compose(resp -> resp.body())).map(b -> b.toString()));
    } finally {
      Await.result(ops.close());
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> ops(Map<String, Object> cfg) {
    return (Map<String, Object>) cfg.get("ops");
  }
}
