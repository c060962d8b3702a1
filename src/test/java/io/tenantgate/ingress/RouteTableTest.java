package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.tenantgate.config.RouteConfig;
import io.tenantgate.config.RouteConfig.UpstreamProtocol;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RouteTableTest {

  private static final RouteConfig ROOT = http("root", "/");
  private static final RouteConfig API = http("api", "/api");
  private static final RouteConfig API_V2 = http("api-v2", "/api/v2");
  private static final RouteConfig STATIC = http("static", "/static/");
  private static final RouteConfig AGENT_SVC = grpc("agent", "monitoring.AgentService");
  private static final RouteConfig POLLER_SVC = grpc("poller", "monitoring.PollerService");
  private static final RouteConfig ANY_SVC = grpc("any", "*");

  private static RouteConfig http(String name, String prefix) {
    return new RouteConfig(name, prefix, null, URI.create("http://" + name), UpstreamProtocol.HTTP1, null, 8);
  }

  private static RouteConfig grpc(String name, String service) {
    return new RouteConfig(name, null, service, URI.create("http://" + name), UpstreamProtocol.H2C, null, 8);
  }

  private static RouteConfig byName(String name) {
    return switch (name) {
      case "root" -> ROOT;
      case "api" -> API;
      case "api-v2" -> API_V2;
      case "static" -> STATIC;
      case "agent" -> AGENT_SVC;
      case "poller" -> POLLER_SVC;
      case "any" -> ANY_SVC;
      case "none" -> null;
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest
  @CsvSource({
      "/api,            api",
      "/api/,           api",
      "/api/x,          api",
      "/api?q=1,        api",
      "/api/v1/things,  api",
      "/api/v2,         api-v2",
      "/api/v2/x,       api-v2",
      "/api/v2?x=1,     api-v2",
      "/api/v20,        api",
      "/apix,           root",
      "/,               root",
      "/anything/else,  root",
      "/static/app.js,  static",
      "/static,         root",
  })
  void longestMatchingPrefixWins(String path, String route) {
    RouteTable table = new RouteTable(List.of(ROOT, API, API_V2, STATIC));
    assertSame(byName(route), table.http(path));
    RouteTable reversed = new RouteTable(List.of(STATIC, API_V2, API, ROOT));
    assertSame(byName(route), reversed.http(path));
  }

  @ParameterizedTest
  @CsvSource({
      "/api,     api",
      "/api/x,   api",
      "/api?q,   api",
      "/apix,    none",
      "/ap,      none",
      "/other,   none",
      "'',       none",
      "api,      none",
  })
  void prefixMatchesOnlyAtASegmentBoundary(String path, String route) {
    assertSame(byName(route), new RouteTable(List.of(API)).http(path));
  }

  @ParameterizedTest
  @CsvSource({
      "/monitoring.AgentService/Report,      agent",
      "/monitoring.AgentService/StreamLogs,  agent",
      "/monitoring.PollerService/Poll,       poller",
      "/monitoring.OtherService/Call,        any",
      "/grpc.health.v1.Health/Check,         any",
      "/monitoring.AgentServiceX/Report,     any",
  })
  void exactGrpcServiceBeatsTheWildcard(String path, String route) {
    assertSame(byName(route), new RouteTable(List.of(ANY_SVC, AGENT_SVC, POLLER_SVC, ROOT)).grpc(path));
  }

  @Test
  void withoutAWildcardAnUnknownServiceHasNoRoute() {
    RouteTable table = new RouteTable(List.of(AGENT_SVC, ROOT));
    assertNull(table.grpc("/monitoring.OtherService/Call"));
    assertSame(AGENT_SVC, table.grpc("/monitoring.AgentService/Report"));
  }

  @Test
  void grpcAndHttpRoutesDoNotMix() {
    RouteTable onlyHttp = new RouteTable(List.of(ROOT, API));
    assertNull(onlyHttp.grpc("/monitoring.AgentService/Report"));
    RouteTable onlyGrpc = new RouteTable(List.of(ANY_SVC, AGENT_SVC));
    assertNull(onlyGrpc.http("/monitoring.AgentService/Report"));
    assertNull(onlyGrpc.http("/"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/", "monitoring.AgentService/Report", "/monitoring.AgentService", "x"})
  void malformedGrpcPathsHaveNoRoute(String path) {
    assertNull(new RouteTable(List.of(ANY_SVC, AGENT_SVC)).grpc(path));
  }

  @ParameterizedTest
  @ValueSource(strings = {"//Report", "/monitoring.AgentService/", "//"})
  void grpcPathsWithAnEmptyServiceOrMethodHaveNoRoute(String path) {
    assertNull(new RouteTable(List.of(ANY_SVC, AGENT_SVC)).grpc(path));
  }

  @Test
  void emptyTableMatchesNothing() {
    RouteTable table = new RouteTable(List.of());
    assertNull(table.http("/"));
    assertNull(table.grpc("/a.B/C"));
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"/api/../x", "/./x", "/x/.", "/x/..", "/%2e%2e/x", "/%2E/x",
      "/a%2fb", "/a%5Cb", "/a\\b", "/a%00", "", "x"})
  void nonCanonicalPathsAreRecognised(String path) {
    org.junit.jupiter.api.Assertions.assertFalse(RouteTable.isCanonical(path));
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"/", "/api", "/api/v1/x.y", "/..a/b..", "/a%20b", "/a%",
      "/pkg.Service/Method"})
  void canonicalPathsPass(String path) {
    org.junit.jupiter.api.Assertions.assertTrue(RouteTable.isCanonical(path));
  }
}
