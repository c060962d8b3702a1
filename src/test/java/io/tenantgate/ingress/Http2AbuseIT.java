package io.tenantgate.ingress;

import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http.Response;
import io.tenantgate.testing.RawTls;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 abuse by an edge holding a valid acme certificate, frame by frame ({@link RawHttp2}): rapid
 * reset, CONTINUATION floods, SETTINGS and PING floods, more concurrent streams than advertised, an
 * oversized header list. Each test proves the gateway stays responsive for a globex bystander, that
 * the attack's memory and connections are released, and that core saw nothing of it.
 *
 * <p>Long mode ({@code -Dtenantgate.long=true}): rapid reset runs 30 s instead of 5 s.
 */
class Http2AbuseIT {
  private static final boolean LONG = Boolean.getBoolean("tenantgate.long");
  private static final int MAX_STREAMS = 8;
  private static Vertx vertx;
  /** Short idle timeout: attacks that open no stream are also cut by it. */
  private static GatewayFixture gw;
  /** Long idle timeout: floods must be stopped by the HTTP/2 codec's own limits. */
  private static GatewayFixture calm;
  private static TestPki pki;
  private static ClientCert attacker;
  private static ClientCert bystander;
  private static RawTls attackerTls;

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    gw = GatewayFixture.start(vertx, cfg -> {
      GatewayFixture.limit(cfg, "idleTimeout", "2s");
      GatewayFixture.limit(cfg, "maxHeaderSize", "4KiB");
      GatewayFixture.limit(cfg, "maxConcurrentStreams", MAX_STREAMS);
      GatewayFixture.limit(cfg, "upstreamTimeout", "2s");
    });
    calm = GatewayFixture.start(vertx, cfg -> GatewayFixture.limit(cfg, "idleTimeout", "60s"));
    pki = gw.pki;
    attacker = pki.component(pki.acmeCa, "agent-h2-hostile", "acme");
    bystander = pki.component(pki.globexCa, "agent-h2-bystander", "globex");
    attackerTls = RawTls.of(pki, attacker);
  }

  @AfterAll
  static void stop() {
    calm.close();
    gw.close();
    Await.result(vertx.close());
  }

  @BeforeEach
  void clearCore() {
    gw.core.clear();
    calm.core.clear();
  }

  /**
   * HEADERS then RST_STREAM(CANCEL), as fast as the socket takes them, for 5 s (30 s in long mode),
   * reconnecting whenever the gateway closes the connection. The gateway's RST flood guard ends each
   * connection after about 200 resets; a bystander polling meanwhile is always served (median under
   * 1 s on 2 shared cores), the heap once the attack connections are gone is within 24 MiB of before, every connection is
   * released, and core never sees an attack request.
   */
  @Test
  void rapidResetKeepsTheGatewayResponsiveAndItsMemoryBounded() throws Exception {
    Duration attackFor = Duration.ofSeconds(LONG ? 30 : 5);
    long heapBefore = usedHeapAfterGc();
    double connectionsBefore = AbuseIT.openConnections(gw);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong streams = new AtomicLong();
    AtomicLong connections = new AtomicLong();
    java.util.concurrent.atomic.AtomicReference<RawHttp2> current = new java.util.concurrent.atomic.AtomicReference<>();
    Thread attack = new Thread(() -> {
      while (!stop.get()) {
        try (RawHttp2 c = RawHttp2.open(attackerTls, gw.edgePort())) {
          current.set(c);
          connections.incrementAndGet();
          for (int id = 1; !stop.get() && id > 0; id += 2) {
            c.frame(RawHttp2.HEADERS, RawHttp2.END_HEADERS, id, c.requestHeaders("POST", "/attack/" + id, Map.of()));
            c.rst(id, RawHttp2.CANCEL);
            streams.incrementAndGet();
            if (id % 64 == 63) {
              c.flush();
            }
          }
        } catch (IOException | RuntimeException e) {
          // the gateway closed the connection (GOAWAY): open another
        }
      }
    }, "rapid-reset");
    attack.start();
    double attackRequestsBefore = requestsOf(gw, "acme");
    double floodClosesBefore = floodCloses(gw);
    HttpClient h2 = gw.h2(bystander);
    assertEquals(200, get(h2, "/bystander-warm-up").status(), "the bystander's connection is open before the attack");
    double loopDelayMaxBefore = loopDelayMaxMillis(gw);
    List<Long> latencies = new java.util.ArrayList<>();
    long worst = 0;
    int served = 0;
    long end = System.nanoTime() + attackFor.toNanos();
    long midway = end - attackFor.toNanos() / 2;
    long heapDuring = -1;
    try {
      while (System.nanoTime() < end) {
        if (heapDuring < 0 && System.nanoTime() > midway) {
          heapDuring = usedHeapAfterGc(); // while the attack runs: what it holds must be bounded too
        }
        long t0 = System.nanoTime();
        Response r = get(h2, "/bystander");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, r.status(), "bystander during the attack");
        worst = Math.max(worst, ms);
        latencies.add(ms);
        served++;
        Await.result(vertx.timer(100));
      }
    } finally {
      stop.set(true);
      // a write blocked on a full socket buffer only ends when the socket closes
      RawHttp2 last = current.get();
      if (last != null) {
        last.close();
      }
      attack.join(10_000);
    }
    // what the attack's own connections hold goes with them (Netty's per-connection stream state); bounded
    // means nothing stays behind once they are gone
    Await.until(() -> AbuseIT.openConnections(gw) <= connectionsBefore + 1, Duration.ofSeconds(5),
        "attack connections released");
    long heapAfter = usedHeapAfterGc();
    double processed = requestsOf(gw, "acme") - attackRequestsBefore;
    java.util.Collections.sort(latencies);
    long median = latencies.get(latencies.size() / 2);
    System.out.printf("rapid reset: %d HEADERS+RST_STREAM pairs written over %d connections in %d s, %.0f reached the"
        + " request handler; bystander served %d times, median %d ms, worst %d ms; event loop delay max %.0f ms"
        + " (before %.0f); heap %d -> %d MiB (%d MiB midway through the attack)%n", streams.get(), connections.get(),
        attackFor.toSeconds(), processed, served, median, worst, loopDelayMaxMillis(gw), loopDelayMaxBefore,
        heapBefore >> 20, heapAfter >> 20, heapDuring >> 20);
    assertTrue(streams.get() > 1_000, "the attack ran: " + streams.get());
    assertTrue(floodCloses(gw) - floodClosesBefore >= connections.get() - 1,
        "each attack connection cut by the RST guard is counted: " + (floodCloses(gw) - floodClosesBefore) + " of "
        + connections.get());
    // Netty's RST flood guard (Vert.x default: 200 RST_STREAM per 30 s) ends each attack connection early
    assertTrue(processed <= 250.0 * connections.get() * Math.ceil(attackFor.toSeconds() / 30.0),
        processed + " streams reached the gateway over " + connections.get() + " connections");
    assertTrue(median < 1_000, "bystander's median wait " + median + " ms");
    assertTrue(worst < 5_000, "bystander waited " + worst + " ms");
    // ~5 MiB here once the attack is gone; an exchange kept alive past its reset (a body-deadline timer
    // not cancelled: 47 MiB in 5 s, 1 GiB in 30 s) must fail this
    assertTrue(heapAfter - heapBefore < 24L << 20, "heap grew by " + ((heapAfter - heapBefore) >> 20) + " MiB");
    assertTrue(heapDuring - heapBefore < 64L << 20, "heap midway through the attack grew by "
        + ((heapDuring - heapBefore) >> 20) + " MiB");
    assertTrue(gw.core.seen().stream().noneMatch(s -> s.path().startsWith("/attack")), "core saw attack requests");
  }

  /**
   * HEADERS without END_HEADERS, then CONTINUATION frames of 1 KiB for as long as the gateway reads
   * them: the connection is closed once the header block passes the header-size limit (4 KiB here),
   * long before memory matters; the stream never reaches core.
   */
  @Test
  void aContinuationFloodIsCutAtTheHeaderLimit() throws Exception {
    long t0 = System.nanoTime();
    long sent = flood(gw, c -> {
      c.frame(RawHttp2.HEADERS, 0, 1, c.requestHeaders("GET", "/continuation", Map.of()));
      return () -> c.frame(RawHttp2.CONTINUATION, 0, 1, filler(1024));
    }, Duration.ofSeconds(5));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf("continuation flood: cut after %d ms (%d bytes taken by the socket, kernel buffers included)%n",
        ms, sent);
    // well before the 2 s idle timeout: the header-block limit cut it, not the idle sweep
    assertTrue(ms < 1_500, "cut after " + ms + " ms");
    assertBystanderServedAndCoreSilent(gw, "/continuation");
  }

  /** Empty CONTINUATION frames add nothing to the block; the connection has no stream and is cut as idle. */
  @Test
  void emptyContinuationFramesAreCutNoLaterThanTheIdleTimeout() throws Exception {
    long t0 = System.nanoTime();
    long sent = flood(gw, c -> {
      c.frame(RawHttp2.HEADERS, 0, 1, c.requestHeaders("GET", "/continuation-empty", Map.of()));
      return () -> c.frame(RawHttp2.CONTINUATION, 0, 1, new byte[0]);
    }, Duration.ofSeconds(10));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf("empty continuation flood: cut after %d bytes, %d ms%n", sent, ms);
    assertTrue(ms < 2_000 + 3_000, "still open after " + ms + " ms");
    assertBystanderServedAndCoreSilent(gw, "/continuation-empty");
  }

  /** SETTINGS frames sent without ever reading the ACKs: the gateway stops queueing ACKs and closes. */
  @Test
  void aSettingsFloodFromAClientThatNeverReadsIsCut() throws Exception {
    long before = usedHeapAfterGc();
    double closesBefore = floodCloses(calm);
    long t0 = System.nanoTime();
    long sent = flood(calm, c -> () -> c.frame(RawHttp2.SETTINGS, 0, 0, new byte[] {0, 3, 0, 0, 0, 100}),
        Duration.ofSeconds(20));
    long after = usedHeapAfterGc();
    System.out.printf("settings flood: cut after %d ms, %d bytes; heap %d -> %d MiB%n", (System.nanoTime() - t0) / 1_000_000,
        sent, before >> 20, after >> 20);
    assertTrue(after - before < 64L << 20, "heap grew by " + ((after - before) >> 20) + " MiB");
    assertBystanderServedAndCoreSilent(calm, "/none");
    Await.until(() -> floodCloses(calm) > closesBefore, Duration.ofSeconds(5), "the cut counted as h2_flood");
  }

  /** PING frames sent without ever reading the ACKs: the gateway stops queueing ACKs and closes. */
  @Test
  void aPingFloodFromAClientThatNeverReadsIsCut() throws Exception {
    long before = usedHeapAfterGc();
    double closesBefore = floodCloses(calm);
    long t0 = System.nanoTime();
    long sent = flood(calm, c -> () -> c.frame(RawHttp2.PING, 0, 0, new byte[8]), Duration.ofSeconds(20));
    long after = usedHeapAfterGc();
    System.out.printf("ping flood: cut after %d ms, %d bytes; heap %d -> %d MiB%n", (System.nanoTime() - t0) / 1_000_000,
        sent, before >> 20, after >> 20);
    assertTrue(after - before < 64L << 20, "heap grew by " + ((after - before) >> 20) + " MiB");
    assertBystanderServedAndCoreSilent(calm, "/none");
    Await.until(() -> floodCloses(calm) > closesBefore, Duration.ofSeconds(5), "the cut counted as h2_flood");
  }

  /** A client that does read its PING ACKs opens no stream, so the idle timeout ends it. */
  @Test
  void aPingFloodFromAClientThatReadsIsCutAtTheIdleTimeout() throws Exception {
    long t0 = System.nanoTime();
    try (RawHttp2 c = RawHttp2.open(attackerTls, gw.edgePort())) {
      Thread drain = new Thread(() -> {
        try {
          c.readUntil(f -> false, 30_000);
        } catch (IOException e) {
          // closed
        }
      }, "ping-ack-reader");
      drain.setDaemon(true);
      drain.start();
      try {
        while (System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos()) {
          for (int i = 0; i < 100; i++) {
            c.frame(RawHttp2.PING, 0, 0, new byte[8]);
          }
          c.flush();
        }
      } catch (IOException e) {
        // cut
      }
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf("reading ping flood: cut after %d ms%n", ms);
    assertTrue(ms < 2_000 + 3_000, "still open after " + ms + " ms");
    assertBystanderServedAndCoreSilent(gw, "/none");
  }

  /**
   * The gateway advertises {@code edge.limits.maxConcurrentStreams}; a client opening one more stream
   * gets it refused (RST_STREAM REFUSED_STREAM) while the streams within the limit complete normally.
   */
  @Test
  void aStreamBeyondMaxConcurrentStreamsIsRefusedAndTheOthersComplete() throws Exception {
    try (RawHttp2 c = RawHttp2.open(attackerTls, gw.edgePort())) {
      List<RawHttp2.Frame> first = c.readUntil(f -> RawHttp2.setting(f, RawHttp2.SETTINGS_MAX_CONCURRENT_STREAMS) >= 0, 5_000);
      assertEquals(MAX_STREAMS, RawHttp2.setting(first, RawHttp2.SETTINGS_MAX_CONCURRENT_STREAMS), "advertised limit");
      int extra = 2 * MAX_STREAMS + 1;
      for (int i = 0; i <= MAX_STREAMS; i++) {
        c.frame(RawHttp2.HEADERS, RawHttp2.END_HEADERS, 2 * i + 1, c.requestHeaders("POST", "/streams/" + i, Map.of()));
      }
      c.flush();
      List<RawHttp2.Frame> refused = c.readUntil(f -> f.stream().anyMatch(x -> x.stream() == extra
          && (x.type() == RawHttp2.RST_STREAM || x.type() == RawHttp2.HEADERS)), 5_000);
      RawHttp2.Frame answer = refused.stream().filter(x -> x.stream() == extra).findFirst()
          .orElseThrow(() -> new AssertionError("no answer for the stream over the limit: " + refused));
      assertEquals(RawHttp2.RST_STREAM, answer.type(), "refused, not served");
      assertEquals(RawHttp2.REFUSED_STREAM, answer.errorCode(), "error code");
      for (int i = 0; i < MAX_STREAMS; i++) {
        c.frame(RawHttp2.DATA, RawHttp2.END_STREAM, 2 * i + 1, "hello".getBytes());
      }
      c.flush();
      List<RawHttp2.Frame> answers = c.readUntil(f -> f.stream().filter(x -> x.type() == RawHttp2.HEADERS
          && x.stream() != extra).count() >= MAX_STREAMS, 5_000);
      long ok = answers.stream().filter(RawHttp2.Frame::isStatus200).count();
      assertEquals(MAX_STREAMS, ok, "streams within the limit answered 200: " + answers);
    }
    Await.until(() -> gw.core.seen().stream().filter(s -> s.path().startsWith("/streams/")).count() == MAX_STREAMS,
        Duration.ofSeconds(5), "core saw the streams within the limit");
    assertTrue(gw.core.seen().stream().noneMatch(s -> s.path().equals("/streams/" + MAX_STREAMS)),
        "core saw the refused stream");
  }

  /** A header list over {@code edge.limits.maxHeaderSize} on HTTP/2: 431 (or the stream reset), core sees nothing. */
  @Test
  void anHttp2HeaderListOverTheLimitIsRefusedAndCoreSeesNothing() throws Exception {
    try (RawHttp2 c = RawHttp2.open(attackerTls, gw.edgePort())) {
      c.frame(RawHttp2.HEADERS, RawHttp2.END_HEADERS | RawHttp2.END_STREAM, 1,
          c.requestHeaders("GET", "/big-h2", Map.of("x-big", "a".repeat(4_500))));
      c.flush();
      List<RawHttp2.Frame> frames = c.readUntil(f -> f.stream().anyMatch(x -> x.stream() == 1
          || x.type() == RawHttp2.GOAWAY), 5_000);
      RawHttp2.Frame answer = frames.stream().filter(x -> x.stream() == 1 || x.type() == RawHttp2.GOAWAY).findFirst()
          .orElseThrow(() -> new AssertionError("no answer: " + frames));
      System.out.printf("oversized HTTP/2 header list: answered with frame type %d%n", answer.type());
      if (answer.type() == RawHttp2.HEADERS) {
        assertEquals("431", c.decode(answer.block()).status().toString());
      } else {
        assertTrue(answer.type() == RawHttp2.RST_STREAM || answer.type() == RawHttp2.GOAWAY, "answer " + answer);
      }
    }
    assertBystanderServedAndCoreSilent(gw, "/big-h2");
  }

  // --- helpers ---------------------------------------------------------------------------------------

  /** What a flood writes after its opening frames, one frame per call. */
  interface Step {
    void send() throws IOException;
  }

  interface Flood {
    Step start(RawHttp2 c) throws IOException;
  }

  /**
   * Runs {@code flood} on one connection until the gateway cuts it (a write fails) and returns the bytes
   * written; fails when the connection is still open after {@code max}.
   */
  private static long flood(GatewayFixture g, Flood flood, Duration max) throws IOException {
    long deadline = System.nanoTime() + max.toNanos();
    RawHttp2 c = RawHttp2.open(attackerTls, g.edgePort());
    try {
      Step step = flood.start(c);
      while (System.nanoTime() < deadline) {
        for (int i = 0; i < 256; i++) {
          step.send();
        }
        c.flush();
      }
    } catch (IOException e) {
      return c.bytesWritten;
    } finally {
      c.close();
    }
    throw new AssertionError("connection still open after " + max + " and " + c.bytesWritten + " bytes");
  }

  private static void assertBystanderServedAndCoreSilent(GatewayFixture g, String attackPath) {
    Response r = get(g.h2(bystander), "/bystander");
    assertEquals(200, r.status());
    assertTrue(g.core.seen().stream().noneMatch(s -> s.path().equals(attackPath)), "core saw " + attackPath);
  }

  private static byte[] filler(int n) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) 0x40);
    return b;
  }

  private static double loopDelayMaxMillis(GatewayFixture g) {
    return g.gateway.metrics().registry().find("tenantgate.event.loop.delay").timers().stream()
        .mapToDouble(t -> t.max(java.util.concurrent.TimeUnit.MILLISECONDS)).max().orElse(0);
  }

  /** Connections an HTTP/2 flood guard closed (GOAWAY ENHANCE_YOUR_CALM), as the gateway counted them. */
  private static double floodCloses(GatewayFixture g) {
    return g.gateway.metrics().registry().find("tenantgate.connection.closes").tag("reason", "h2_flood").counters()
        .stream().mapToDouble(c -> c.count()).sum();
  }

  private static double requestsOf(GatewayFixture g, String tenant) {
    return g.gateway.metrics().registry().find("tenantgate.requests").tag("tenant", tenant).counters().stream()
        .mapToDouble(c -> c.count()).sum();
  }

  static long usedHeapAfterGc() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
