package io.tenantgate.ops;

import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The structured access log: one JSON line per request, refusals always, never key material. */
class AccessLogIT {
  private Vertx vertx;
  private ListAppender<ILoggingEvent> lines;
  private Logger logger;
  private TestPki pki;

  @BeforeEach
  void start() {
    vertx = GatewayFixture.testVertx();
    pki = TestPki.get();
    logger = (Logger) LoggerFactory.getLogger("tenantgate.access");
    lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
  }

  @AfterEach
  void stop() {
    logger.detachAppender(lines);
    Await.result(vertx.close());
  }

  @Test
  void eachRequestIsOneJsonLineNamingTenantComponentAndRequestId() {
    try (GatewayFixture gw = GatewayFixture.start(vertx)) {
      var agent = pki.component(pki.acmeCa, "agent-log", "acme");
      assertEquals(200, get(gw.h1(agent), "/logged?x=1").status());
      JsonObject line = last(1);
      assertEquals("http", line.getString("op"));
      assertEquals("acme", line.getString("tenant"));
      assertEquals("agent-log", line.getString("component"));
      assertEquals("default", line.getString("partition"));
      assertEquals("core", line.getString("route"));
      assertEquals("h1", line.getString("protocol"));
      assertEquals("GET", line.getString("method"));
      assertEquals("/logged", line.getString("path"));
      assertEquals(200, line.getInteger("status"));
      assertEquals(gw.core.last().header("x-request-id"), line.getString("request_id"));
      assertTrue(line.getDouble("duration_ms") > 0);
      assertTrue(line.containsKey("upstream_ms"));
      assertNull(line.getString("reason"));
      String raw = lines.list.get(lines.list.size() - 1).getFormattedMessage();
      assertFalse(raw.contains("BEGIN") || raw.contains(gw.core.last().header("x-tenant-assertion")),
          "no certificates, keys or assertions in the access log");
    }
  }

  @Test
  void refusalsAreAlwaysLoggedWithTheirReasonEvenWhenSuccessesAreSampledOut() {
    try (GatewayFixture gw = GatewayFixture.start(vertx, cfg -> cfg.put("accessLog", Map.of("sampleRate", "0")))) {
      int before = lines.list.size();
      assertEquals(200, get(gw.h1(pki.component(pki.acmeCa, "agent-quiet", "acme")), "/quiet").status());
      assertEquals(403, get(gw.h1(pki.component(pki.initechCa, "agent-1", "initech")), "/refused").status());
      Await.until(() -> lines.list.size() > before, Duration.ofSeconds(5), "a refusal line");
      List<JsonObject> added = lines.list.subList(before, lines.list.size()).stream()
          .map(e -> new JsonObject(e.getFormattedMessage())).toList();
      assertEquals(1, added.size(), "the sampled-out success is not logged: " + added);
      assertEquals("tenant_suspended", added.get(0).getString("reason"));
      assertEquals("initech", added.get(0).getString("tenant"));
      assertEquals(403, added.get(0).getInteger("status"));
    }
  }

  @Test
  void disabledMeansNoLines() {
    try (GatewayFixture gw = GatewayFixture.start(vertx, cfg -> cfg.put("accessLog", Map.of("enabled", false)))) {
      int before = lines.list.size();
      get(gw.h1(pki.component(pki.initechCa, "agent-1", "initech")), "/refused");
      assertEquals(before, lines.list.size());
    }
  }

  private JsonObject last(int expectedAtLeast) {
    Await.until(() -> lines.list.size() >= expectedAtLeast, Duration.ofSeconds(5), "access log line");
    return new JsonObject(lines.list.get(lines.list.size() - 1).getFormattedMessage());
  }
}
