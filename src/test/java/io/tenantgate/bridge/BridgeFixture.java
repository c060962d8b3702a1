package io.tenantgate.bridge;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantStatus;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.tenantgate.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A gateway with the NATS bridge for integration tests: two fresh tenants with random slugs (so
 * reruns and parallel runs never share subjects or streams), their CAs in a registry of their own,
 * a raw NATS connection for subscribers and checks, and the streams deleted on close.
 */
final class BridgeFixture implements AutoCloseable {
  final String a;
  final String b;
  final UUID aId = UUID.randomUUID();
  final UUID bId = UUID.randomUUID();
  final CertAndKey aCa;
  final CertAndKey bCa;
  final TestPki pki = TestPki.get();
  /** The gateway; replaced by {@link #restartGateway}. */
  volatile GatewayFixture gw;
  final Connection nats;
  final String natsUrl;
  private final Vertx vertx;
  private final Path registry;
  private final String gatewayNatsUrl;
  private final List<WebSocketClient> wsClients = new ArrayList<>();

  private BridgeFixture(Vertx vertx, String natsUrl, String gatewayNatsUrl,
      BiConsumer<BridgeFixture, Map<String, Object>> natsTweak) throws Exception {
    this.vertx = vertx;
    this.natsUrl = natsUrl;
    String run = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    a = "ta" + run;
    b = "tb" + run;
    aCa = Pki.createTenantCa(pki.root, a, TestPki.TD, Duration.ofDays(30), KeyAlgorithm.EC_P256);
    bCa = Pki.createTenantCa(pki.root, b, TestPki.TD, Duration.ofDays(30), KeyAlgorithm.EC_P256);
    Path dir = Files.createTempDirectory("tenantgate-bridge");
    registry = dir.resolve("registry.json");
    this.gatewayNatsUrl = gatewayNatsUrl;
    Pem.write(registry, RegistryFile.empty()
        .addTenant(new Tenant(aId, a, "A " + run, TenantStatus.ACTIVE))
        .addTenant(new Tenant(bId, b, "B " + run, TenantStatus.ACTIVE))
        .addCa(aId, Pem.certificates(aCa.certificate()), TenantStatus.ACTIVE)
        .addCa(bId, Pem.certificates(bCa.certificate()), TenantStatus.ACTIVE).encode(), false);
    nats = Nats.connect(new Options.Builder().server(natsUrl).maxReconnects(-1)
        .reconnectWait(Duration.ofMillis(100)).build());
    gw = startGateway(n -> natsTweak.accept(this, n));
  }

  private GatewayFixture startGateway(Consumer<Map<String, Object>> natsTweak) {
    return GatewayFixture.start(vertx, cfg -> {
      cfg.put("registry", new LinkedHashMap<>(Map.of("file", registry.toString(), "pollInterval", "100ms")));
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("url", gatewayNatsUrl);
      n.put("reconnectWait", "50ms");
      n.put("reconnectMaxWait", "500ms");
      n.put("drainTimeout", "2s");
      natsTweak.accept(n);
      cfg.put("nats", n);
    });
  }

  /** Stops the gateway and starts a new one on the same registry and NATS with another {@code nats:} section. */
  void restartGateway(Consumer<Map<String, Object>> natsTweak) {
    gw.close();
    gw = startGateway(natsTweak);
  }

  static BridgeFixture start(Vertx vertx, String natsUrl, Consumer<Map<String, Object>> natsTweak) {
    return startKnowingSlugs(vertx, natsUrl, (fx, n) -> natsTweak.accept(n));
  }

  /** As {@link #start(Vertx, String, Consumer)}, for a {@code nats:} section that names the tenants' slugs. */
  static BridgeFixture startKnowingSlugs(Vertx vertx, String natsUrl,
      BiConsumer<BridgeFixture, Map<String, Object>> natsTweak) {
    try {
      return new BridgeFixture(vertx, natsUrl, natsUrl, natsTweak);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The test's own connection goes to {@code natsUrl}, the gateway's to {@code gatewayNatsUrl} (e.g. nowhere). */
  static BridgeFixture startWithGatewayUrl(Vertx vertx, String natsUrl, String gatewayNatsUrl) throws Exception {
    return new BridgeFixture(vertx, natsUrl, gatewayNatsUrl, (fx, n) -> { });
  }

  static BridgeFixture start(Vertx vertx) {
    return start(vertx, "nats://127.0.0.1:4222", n -> { });
  }

  NatsBridge bridge() {
    return gw.gateway.bridge();
  }

  /** Rewrites the registry with {@code slug}'s quota overrides and waits until the running gateway applies them. */
  void setLimits(String slug, io.tenantgate.tenant.TenantLimits limits) {
    try {
      RegistryFile file = RegistryFile.parse(Files.readString(registry));
      file.setTenantLimits(slug, limits);
      Pem.write(registry, file.encode(), false);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    UUID id = slug.equals(a) ? aId : bId;
    var quotas = gw.gateway.quotas();
    Await.until(() -> quotas.of(id).limits().equals(quotas.defaults().with(limits)), Duration.ofSeconds(5),
        slug + " limits applied");
  }

  void awaitConnected() {
    Await.until(() -> bridge().health().up(), Duration.ofSeconds(10), "bridge connected to NATS");
  }

  /** Waits until {@code slug}'s stream exists. */
  void awaitStream(String slug) {
    Await.until(() -> streamExists(slug), Duration.ofSeconds(10), "stream of " + slug + " provisioned");
  }

  /** Waits until both tenants' streams exist. */
  void awaitStreams() {
    Await.until(() -> streamExists(a) && streamExists(b), Duration.ofSeconds(10), "tenant streams provisioned");
  }

  String stream(String slug) {
    return "TENANT_" + slug;
  }

  boolean streamExists(String slug) {
    try {
      nats.jetStreamManagement().getStreamInfo(stream(slug));
      return true;
    } catch (JetStreamApiException e) {
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  JetStreamManagement jsm() {
    try {
      return nats.jetStreamManagement();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  TestPki.ClientCert cert(CertAndKey ca, String slug, String componentId) {
    return pki.component(ca, componentId, slug);
  }

  /** A raw NATS subscription (on the test's own connection), flushed so it is live. */
  Subscription spy(String subject) {
    Subscription s = nats.subscribe(subject);
    try {
      nats.flush(Duration.ofSeconds(5));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return s;
  }

  /** Every message {@code s} received within {@code wait}, system subjects included. */
  static List<Message> drainAll(Subscription s, Duration wait) {
    List<Message> out = new ArrayList<>();
    long deadline = System.nanoTime() + wait.toNanos();
    try {
      for (long left = wait.toNanos(); left > 0; left = deadline - System.nanoTime()) {
        Message m = s.nextMessage(Duration.ofNanos(Math.max(left, 1_000_000)));
        if (m == null) {
          break;
        }
        out.add(m);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  /** Messages {@code s} received within {@code wait}, ignoring JetStream API and inbox traffic. */
  static List<Message> drain(Subscription s, Duration wait) {
    List<Message> out = new ArrayList<>();
    long deadline = System.nanoTime() + wait.toNanos();
    try {
      while (true) {
        long left = deadline - System.nanoTime();
        Message m = s.nextMessage(Duration.ofNanos(Math.max(left, 1_000_000)));
        if (m == null) {
          return out;
        }
        String subj = m.getSubject();
        if (!subj.startsWith("$JS.") && !subj.startsWith("_INBOX.") && !subj.startsWith("_TG_INBOX.")
            && !subj.startsWith("$SYS.")) {
          out.add(m);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return out;
    }
  }

  static Http.Response post(HttpClient client, String uri, String body, String... headers) {
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setURI(uri);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      ro.addHeader(headers[i], headers[i + 1]);
    }
    return Http.send(client, ro, Buffer.buffer(body));
  }

  /** The upgrade to a bridge WebSocket presenting {@code cert}, as it went (refusals fail it). */
  io.vertx.core.Future<WebSocket> connect(TestPki.ClientCert cert) {
    WebSocketClient c = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.rootPem().toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.chainPem().toString())
            .setKeyPath(cert.keyPem().toString())));
    wsClients.add(c);
    return c.connect(gw.edgePort(), "localhost", "/v1/nats/ws");
  }

  /** A WebSocket to the bridge presenting {@code cert}; received JSON messages queue up. */
  Ws ws(TestPki.ClientCert cert) {
    Ws ws = new Ws();
    ws.socket = Await.result(connect(cert));
    ws.socket.textMessageHandler(t -> ws.in.add(new JsonObject(t)));
    ws.socket.closeHandler(v -> ws.closeCode = ws.socket.closeStatusCode() == null ? -1 : ws.socket.closeStatusCode());
    return ws;
  }

  /** One test WebSocket. */
  static final class Ws {
    WebSocket socket;
    final LinkedBlockingQueue<JsonObject> in = new LinkedBlockingQueue<>();
    volatile int closeCode;

    void send(JsonObject o) {
      Await.result(socket.writeTextMessage(o.encode()));
    }

    /** Sends {@code o} with an id and returns the answer with that id (skipping deliveries). */
    JsonObject call(JsonObject o) {
      String id = UUID.randomUUID().toString();
      send(o.copy().put("id", id));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      List<JsonObject> skipped = new ArrayList<>();
      try {
        while (System.nanoTime() < deadline) {
          JsonObject m = in.poll(100, TimeUnit.MILLISECONDS);
          if (m != null && id.equals(m.getString("id"))) {
            in.addAll(skipped);
            return m;
          }
          if (m != null) {
            skipped.add(m);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new AssertionError("no answer to " + o.encode());
    }

    JsonObject next(Duration max) {
      try {
        return in.poll(max.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  @Override
  public void close() {
    for (WebSocketClient c : wsClients) {
      c.close();
    }
    try {
      gw.close();
    } finally {
      for (String slug : List.of(a, b)) {
        try {
          jsm().deleteStream(stream(slug));
        } catch (Exception e) {
          // not created (or the server is gone): nothing to clean
        }
      }
      try {
        nats.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
