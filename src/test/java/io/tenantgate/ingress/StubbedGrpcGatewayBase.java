package io.tenantgate.ingress;

import io.tenantgate.testing.Await;
import io.tenantgate.testing.TestPki.ClientCert;
import io.tenantgate.testing.GatewayFixture;
import io.vertx.core.Vertx;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * What the quota ITs share: one gateway per test class with a catch-all gRPC route to a
 * {@link GrpcStubCore} beside the fixture's plain core, and an agent certificate of acme and of globex.
 */
abstract class StubbedGrpcGatewayBase {
  static Vertx vertx;
  static GrpcStubCore stub;
  static GatewayFixture gw;
  static ClientCert acme;
  static ClientCert globex;

  @BeforeAll
  static void startGateway() {
    vertx = GatewayFixture.testVertx();
    stub = GrpcStubCore.start(vertx);
    gw = GatewayFixture.start(vertx, cfg -> GatewayFixture.addRoute(cfg,
        Map.of("name", "core-grpc", "grpcService", "*", "upstream", stub.url())));
    acme = gw.pki.component(gw.pki.acmeCa, "agent-001", "acme");
    globex = gw.pki.component(gw.pki.globexCa, "agent-001", "globex");
  }

  @AfterAll
  static void stopGateway() {
    gw.close();
    stub.stop();
    Await.result(vertx.close());
  }
}
