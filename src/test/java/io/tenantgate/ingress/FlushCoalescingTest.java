package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay's two throughput fixes at the Vert.x level: flush coalescing on a real HTTP/2 connection
 * (and not on HTTP/1.1), and the edge listener's port 0 spreading connections over every instance.
 */
class FlushCoalescingTest {
  private Vertx vertx;
  private HttpServer core;
  private HttpClientAgent client;

  @BeforeEach
  void start() {
    vertx = GatewayFixture.testVertx();
    // an h2c echo server: prior-knowledge HTTP/2 and HTTP/1.1 on one port
    core = Await.result(vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true))
        .requestHandler(req -> req.body().onSuccess(b -> req.response().end(b))).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void stop() {
    if (client != null) {
      Await.result(client.close());
    }
    Await.result(vertx.close());
  }

  @Test
  void http2ClientConnectionGetsTheHandlerAndStillRelaysInOrder() {
    Promise<Boolean> installed = Promise.promise();
    Promise<HttpConnection> connection = Promise.promise();
    client = vertx.httpClientBuilder()
        .with(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false))
        .withConnectHandler(conn -> {
          installed.tryComplete(FlushCoalescing.install(conn));
          connection.tryComplete(conn);
        }).build();
    List<String> bodies = Await.result(Future.all(List.of(post("one"), post("two"), post("three"))))
        .list();
    assertEquals(List.of("one", "two", "three"), bodies);
    assertTrue(Await.result(installed.future()));
    var pipeline = ((io.vertx.core.net.impl.ConnectionBase) Await.result(connection.future())).channel().pipeline();
    assertNotNull(pipeline.get(FlushCoalescing.HANDLER_NAME));
    // installing twice does not add a second handler
    assertTrue(FlushCoalescing.install(Await.result(connection.future())));
    assertEquals(1, pipeline.names().stream().filter(FlushCoalescing.HANDLER_NAME::equals).count());
  }

  @Test
  void http1ConnectionIsLeftAlone() {
    Promise<Boolean> installed = Promise.promise();
    Promise<HttpConnection> connection = Promise.promise();
    client = vertx.httpClientBuilder().with(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1))
        .withConnectHandler(conn -> {
          installed.tryComplete(FlushCoalescing.install(conn));
          connection.tryComplete(conn);
        }).build();
    assertEquals("plain", Await.result(post("plain")));
    assertFalse(Await.result(installed.future()));
    var pipeline = ((io.vertx.core.net.impl.ConnectionBase) Await.result(connection.future())).channel().pipeline();
    assertNull(pipeline.get(FlushCoalescing.HANDLER_NAME));
  }

  @Test
  void portZeroIsOneEphemeralPortSharedByEveryInstanceOfADeployment() {
    int first = EdgeVerticle.listenPort(0);
    int second = EdgeVerticle.listenPort(0);
    assertTrue(first < 0 && second < 0, first + ", " + second);
    assertNotEquals(first, second, "two deployments (two gateways in one Vert.x) must not share a port");
    assertEquals(8443, EdgeVerticle.listenPort(8443));

    Set<Integer> ports = ConcurrentHashMap.newKeySet();
    Set<String> loops = ConcurrentHashMap.newKeySet();
    Await.result(vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(first))
            .requestHandler(req -> {
              loops.add(Thread.currentThread().getName());
              req.response().end();
            })
            .listen().onSuccess(s -> ports.add(s.actualPort()));
      }
    }, new DeploymentOptions().setInstances(2)));
    assertEquals(1, ports.size(), "both instances listen on the one announced port: " + ports);
    int port = ports.iterator().next();
    assertTrue(port > 0, "an actual port: " + port);
    // each connection of a fresh client: the acceptor hands them to the instances in turn
    for (int i = 0; i < 4; i++) {
      HttpClientAgent c = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
      Await.result(c.request(HttpMethod.GET, port, "127.0.0.1", "/").compose(r -> r.send()).compose(r -> r.body()));
      Await.result(c.close());
    }
    assertEquals(2, loops.size(), "connections reached both instances: " + loops);
  }

  private Future<String> post(String body) {
    return client.request(HttpMethod.POST, core.actualPort(), "127.0.0.1", "/")
        .compose(req -> req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body())
        .map(Buffer::toString);
  }
}
