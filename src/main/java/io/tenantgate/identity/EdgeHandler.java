package io.tenantgate.identity;

import io.vertx.core.http.HttpServerRequest;

/**
 * A capability served on the edge listener itself rather than relayed to core (for example the
 * NATS bridge's publish and WebSocket endpoints). The edge listener has already refused unverified
 * identities and hands over the request paused, with the connection's verified identity. The handler
 * owns the reply from then on: it resumes the request, writes exactly one response (errors through
 * {@code error.ErrorReplies}) or upgrades to a WebSocket.
 *
 * <p>One instance serves every event loop: implementations must be thread-safe, and each call runs on
 * the event loop of the request's connection.
 */
@FunctionalInterface
public interface EdgeHandler {
  void handle(HttpServerRequest request, ClientIdentity identity, String requestId);

  /** A handler mounted at a path prefix ({@code /v1/nats/}), matched before the routes to core. */
  record Mount(String pathPrefix, EdgeHandler handler) {
    public Mount {
      if (!pathPrefix.startsWith("/") || !pathPrefix.endsWith("/")) {
        throw new IllegalArgumentException("mount prefix must start and end with '/': " + pathPrefix);
      }
    }
  }
}
