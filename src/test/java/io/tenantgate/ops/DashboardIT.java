package io.tenantgate.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.tenantgate.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * docs/grafana-dashboard.json against a real scrape: every metric name any panel or variable queries
 * must be a sample name the gateway exposes, so the dashboard cannot silently point at a metric that
 * does not exist (renamed, wrong suffix, never registered).
 */
class DashboardIT {
  private static final Path DASHBOARD = Path.of(System.getProperty("basedir", "."), "docs", "grafana-dashboard.json");
  private static final Path GATEWAY_METRICS = Path.of(System.getProperty("basedir", "."),
      "src", "main", "java", "io", "tenantgate", "metrics", "GatewayMetrics.java");
  /** Metric names as PromQL uses them; label names and values never start with these prefixes. */
  private static final Pattern METRIC = Pattern.compile("\\b((?:tenantgate|jvm|process|system)_[a-z0-9_]+)");
  /** A sample line of the Prometheus text format: its metric name. */
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{| )", Pattern.MULTILINE);
  private static final Pattern SUFFIX = Pattern.compile("_(?:bucket|count|sum|max|total)$");
  /**
   * NATS families that only appear after traffic through a live NATS server: a message NATS accepted,
   * a JetStream ack, an open /v1/nats/ws session. This test runs the bridge against an unreachable
   * server (no shared NATS, no streams provisioned), so these are checked against the names
   * GatewayMetrics registers instead; the bridge ITs (bridge/*IT) exercise them for real.
   */
  private static final Set<String> NEEDS_LIVE_NATS = Set.of("tenantgate_nats_publishes_total",
      "tenantgate_nats_acks_total", "tenantgate_nats_websockets_active");

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
  void everyMetricTheDashboardQueriesIsExposed() throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD, StandardCharsets.UTF_8));
    Map<String, List<String>> referenced = referencedMetrics(dashboard);
    assertFalse(referenced.isEmpty(), "the dashboard queries no metric at all");

    try (GatewayFixture gw = GatewayFixture.start(vertx, DashboardIT::bridgeWithoutNats)) {
      traffic(gw);
      Set<String> wanted = new TreeSet<>(referenced.keySet());
      wanted.removeAll(NEEDS_LIVE_NATS);
      // gauges and timers fed by timers and listeners (event-loop probe, GC notifications) appear shortly
      System.gc();
      String[] text = {scrape(gw)};
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!samples(text[0]).containsAll(wanted) && System.nanoTime() - deadline < 0) {
        Thread.sleep(200);
        text[0] = scrape(gw);
      }
      Files.writeString(Path.of(System.getProperty("basedir", "."), "target", "dashboard-it-scrape.txt"), text[0]);

      Set<String> exposed = samples(text[0]);
      List<String> missing = new ArrayList<>();
      for (var e : referenced.entrySet()) {
        String name = e.getKey();
        if (exposed.contains(name)) {
          continue;
        }
        if (NEEDS_LIVE_NATS.contains(name) && registeredByGatewayMetrics(name)) {
          continue;
        }
        String family = SUFFIX.matcher(name).replaceFirst("");
        List<String> sameFamily = exposed.stream().filter(s -> SUFFIX.matcher(s).replaceFirst("").equals(family))
            .sorted().toList();
        missing.add(name + " (in " + e.getValue() + ")"
            + (sameFamily.isEmpty() ? "" : " — the scrape has " + sameFamily + ": wrong suffix?"));
      }
      assertTrue(missing.isEmpty(), "the dashboard queries metrics /metrics does not expose:\n  "
          + String.join("\n  ", missing));

      // the traffic above must have produced per-tenant series for both tenants, or the panels are empty
      for (String family : List.of("tenantgate_requests_total", "tenantgate_connections_active",
          "tenantgate_bytes_in_total", "tenantgate_bytes_out_total", "tenantgate_assertions_signed_total",
          "tenantgate_request_duration_seconds_bucket", "tenantgate_upstream_duration_seconds_bucket",
          "tenantgate_gateway_duration_seconds_bucket", "tenantgate_handshakes_total")) {
        Set<String> tenants = tenantsOf(text[0], family);
        assertTrue(tenants.containsAll(Set.of("acme", "globex")), family + " has tenants " + tenants);
      }
      assertTrue(text[0].contains("tenantgate_refusals_total{reason=\"tenant_suspended\",stage=\"request\",tenant=\"initech\"}"),
          "the suspended tenant's refusal is counted");
      assertTrue(text[0].contains("tenantgate_refusals_total{reason=\"no_client_cert\",stage=\"handshake\",tenant=\"none\"}"),
          "the anonymous handshake refusal is counted");
    }
  }

  @Test
  void theDashboardIsImportableAndFiltersByTenant() throws IOException {
    JsonObject d = new JsonObject(Files.readString(DASHBOARD, StandardCharsets.UTF_8));
    JsonArray inputs = d.getJsonArray("__inputs");
    assertNotNull(inputs, "__inputs for the import dialog");
    assertTrue(inputs.stream().map(JsonObject.class::cast).anyMatch(i -> "DS_PROMETHEUS".equals(i.getString("name"))
        && "prometheus".equals(i.getString("pluginId"))), "a DS_PROMETHEUS datasource input: " + inputs);
    assertNotNull(d.getInteger("schemaVersion"));
    assertTrue(d.getInteger("schemaVersion") >= 36, "schemaVersion " + d.getInteger("schemaVersion"));

    JsonObject tenant = d.getJsonObject("templating").getJsonArray("list").stream().map(JsonObject.class::cast)
        .filter(v -> "tenant".equals(v.getString("name"))).findFirst().orElse(null);
    assertNotNull(tenant, "a 'tenant' template variable");
    Object q = tenant.getValue("query");
    String query = q instanceof JsonObject o ? o.getString("query") : String.valueOf(q);
    assertEquals("label_values(tenantgate_requests_total, tenant)", query);
    assertTrue(tenant.getBoolean("multi", false) && tenant.getBoolean("includeAll", false),
        "tenant is multi-select with All");

    Set<Integer> ids = new TreeSet<>();
    int tenantScoped = 0;
    for (JsonObject p : panels(d)) {
      assertTrue(ids.add(p.getInteger("id")), "panel id " + p.getInteger("id") + " used twice");
      assertNotNull(p.getJsonObject("gridPos"), p.getString("title") + " has a gridPos");
      if ("row".equals(p.getString("type"))) {
        continue;
      }
      assertEquals("${DS_PROMETHEUS}", p.getJsonObject("datasource").getString("uid"), p.getString("title"));
      JsonArray targets = p.getJsonArray("targets");
      assertTrue(targets != null && !targets.isEmpty(), p.getString("title") + " has queries");
      for (Object t : targets) {
        JsonObject target = (JsonObject) t;
        assertEquals("${DS_PROMETHEUS}", target.getJsonObject("datasource").getString("uid"), p.getString("title"));
        String expr = target.getString("expr");
        assertTrue(expr != null && !expr.isBlank(), p.getString("title") + " has an expression");
        if (expr.contains("$tenant")) {
          tenantScoped++;
        }
        // a per-tenant family queried without the tenant filter would ignore the dashboard's selection
        if (expr.matches("(?s).*tenantgate_(requests|refusals|handshakes|connections_active|bytes_|request_duration|"
            + "upstream_duration|gateway_duration|grpc_streams|assertions_signed|nats_(publishes|acks|errors|denials|"
            + "websockets)).*")) {
          assertTrue(expr.contains("tenant=~\"$tenant"), p.getString("title") + " filters by $tenant: " + expr);
        }
      }
    }
    assertTrue(tenantScoped >= 15, "per-tenant panels: " + tenantScoped);
  }

  /** Enables the NATS bridge against a server that is not there: its gauges and refusal counters register. */
  @SuppressWarnings("unchecked")
  private static void bridgeWithoutNats(Map<String, Object> cfg) {
    Map<String, Object> nats = (Map<String, Object>) cfg.get("nats");
    nats.put("enabled", true);
    nats.put("url", "nats://127.0.0.1:1");
    nats.put("connectTimeout", "200ms");
    nats.put("jetstream", new LinkedHashMap<>(Map.of("provision", false)));
  }

  private void traffic(GatewayFixture gw) {
    for (var ca : List.of(pki.acmeCa, pki.globexCa)) {
      String slug = ca == pki.acmeCa ? "acme" : "globex";
      TestPki.ClientCert cert = pki.component(ca, "agent-dash", slug);
      HttpClient h1 = gw.h1(cert);
      HttpClient h2 = gw.h2(cert);
      assertEquals(200, Http.get(h1, "/dash/h1").status());
      assertEquals(200, Http.post(h1, "/dash/upload", 2048).status());
      assertEquals(200, Http.get(h2, "/dash/h2").status());
      assertEquals(200, Http.post(h2, "/dash/upload", 4096).status());
      // a gRPC call with no gRPC route: answered trailers-only, but it opened (and closed) a gRPC stream
      Http.Response grpc = Http.send(h2, new RequestOptions().setMethod(HttpMethod.POST).setURI("/dash.Svc/Call")
          .putHeader("content-type", "application/grpc").putHeader("te", "trailers"), Buffer.buffer(new byte[5]));
      assertEquals(200, grpc.status(), "gRPC errors travel in trailers");
      // the NATS bridge: a refused subject (denial) and a publish while NATS is away (error)
      assertEquals(400, Http.send(h1, new RequestOptions().setMethod(HttpMethod.POST)
          .setURI("/v1/nats/publish/" + slug + ".agents.x"), Buffer.buffer("x")).status());
      assertEquals(503, Http.send(h1, new RequestOptions().setMethod(HttpMethod.POST)
          .setURI("/v1/nats/publish/agents.x"), Buffer.buffer("x")).status());
    }
    // refusals: a suspended tenant (request stage) and a client without a certificate (handshake stage)
    assertEquals(403, Http.get(gw.h1(pki.component(pki.initechCa, "agent-dash", "initech")), "/dash/refused").status());
    assertNotNull(Await.failure(Http.sendAsync(gw.anonymous(), new RequestOptions().setURI("/dash/anonymous"), null)));
    Await.until(() -> gw.refusals("no_client_cert") >= 1, Duration.ofSeconds(5), "the handshake refusal counted");
    // a TLS reload (the reload counter and the certificate gauge's source)
    assertEquals("applied", Await.result(gw.gateway.reloadTls()).getString("outcome"));
  }

  private String scrape(GatewayFixture gw) {
    HttpClient ops = vertx.createHttpClient();
    try {
      return Await.result(ops.request(HttpMethod.GET, gw.gateway.opsPort(), "127.0.0.1", "/metrics")
          .compose(r -> r.send().compose(resp -> resp.body())).map(Buffer::toString));
    } finally {
      Await.result(ops.close());
    }
  }

  /** Metric name -> titles of the panels (or variables) whose queries use it. */
  static Map<String, List<String>> referencedMetrics(JsonObject dashboard) {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    for (JsonObject p : panels(dashboard)) {
      JsonArray targets = p.getJsonArray("targets", new JsonArray());
      for (Object t : targets) {
        collect(((JsonObject) t).getString("expr", ""), "panel '" + p.getString("title") + "'", out);
      }
    }
    for (Object v : dashboard.getJsonObject("templating", new JsonObject()).getJsonArray("list", new JsonArray())) {
      JsonObject var = (JsonObject) v;
      Object q = var.getValue("query");
      String where = "variable '" + var.getString("name") + "'";
      collect(q instanceof JsonObject o ? o.getString("query", "") : String.valueOf(q), where, out);
      collect(var.getString("definition", ""), where, out);
    }
    return out;
  }

  private static void collect(String expr, String where, Map<String, List<String>> out) {
    Matcher m = METRIC.matcher(expr == null ? "" : expr);
    while (m.find()) {
      List<String> places = out.computeIfAbsent(m.group(1), k -> new ArrayList<>());
      if (!places.contains(where)) {
        places.add(where);
      }
    }
  }

  /** Every panel, rows' nested panels included. */
  static List<JsonObject> panels(JsonObject dashboard) {
    List<JsonObject> out = new ArrayList<>();
    for (Object o : dashboard.getJsonArray("panels", new JsonArray())) {
      JsonObject p = (JsonObject) o;
      out.add(p);
      for (Object nested : p.getJsonArray("panels", new JsonArray())) {
        out.add((JsonObject) nested);
      }
    }
    return out;
  }

  private static Set<String> samples(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = SAMPLE.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** For families a test without NATS cannot produce: the Micrometer name is registered in GatewayMetrics. */
  private static boolean registeredByGatewayMetrics(String promName) {
    String micrometer = SUFFIX.matcher(promName).replaceFirst("").replace('_', '.');
    try {
      return Files.readString(GATEWAY_METRICS, StandardCharsets.UTF_8).contains("\"" + micrometer + "\"");
    } catch (IOException e) {
      fail("cannot read " + GATEWAY_METRICS + ": " + e);
      return false;
    }
  }

  private static Set<String> tenantsOf(String text, String family) {
    Pattern series = Pattern.compile("^" + Pattern.quote(family) + "\\{([^}]*)}", Pattern.MULTILINE);
    Pattern tenant = Pattern.compile("tenant=\"([^\"]*)\"");
    Set<String> out = new TreeSet<>();
    Matcher m = series.matcher(text);
    while (m.find()) {
      Matcher t = tenant.matcher(m.group(1));
      if (t.find()) {
        out.add(t.group(1));
      }
    }
    return out;
  }
}
