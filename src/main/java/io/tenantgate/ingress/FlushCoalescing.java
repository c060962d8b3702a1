package io.tenantgate.ingress;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.http.HttpConnection;

/**
 * Coalesces the flushes of an HTTP/2 connection the relay writes to while it reads from another one.
 *
 * <p>Vert.x defers a connection's flush only while that same connection is being read. A relayed
 * gRPC message is read from one connection and written to the other (client to core, core to client),
 * so without this every relayed DATA frame is flushed on its own: one TLS record and one write system
 * call per message and direction. Netty's {@link FlushConsolidationHandler}, placed between the HTTP/2
 * codec and TLS, turns the flushes of one event-loop turn into one (at most {@link #MAX_PENDING_FLUSHES}
 * are held back); writes keep their order, a close or a full socket flushes at once.
 *
 * <p>Reaches the Netty channel through Vert.x's {@code ConnectionBase} (not public API): when a future
 * Vert.x hides it, {@link #install} returns false and the connection flushes as before.
 */
final class FlushCoalescing {
  static final String HANDLER_NAME = "tenantgate-flush-coalescing";
  /** Flushes held back at most before one goes through anyway (Netty's default). */
  static final int MAX_PENDING_FLUSHES = FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES;

  private FlushCoalescing() {
  }

  /** Installs the coalescing on {@code conn} if it is HTTP/2; true when installed (or already there). */
  static boolean install(HttpConnection conn) {
    if (!(conn instanceof io.vertx.core.net.impl.ConnectionBase base)) {
      return false;
    }
    ChannelPipeline pipeline = base.channel().pipeline();
    if (pipeline.get(HANDLER_NAME) != null) {
      return true;
    }
    if (pipeline.get(Http2ConnectionHandler.class) == null) {
      return false;
    }
    FlushConsolidationHandler handler = new FlushConsolidationHandler(MAX_PENDING_FLUSHES, true);
    ChannelHandlerContext tls = pipeline.context(SslHandler.class);
    if (tls != null) {
      // after TLS (towards the codec): the held-back frames are encrypted together, in one record
      pipeline.addAfter(tls.name(), HANDLER_NAME, handler);
    } else {
      pipeline.addFirst(HANDLER_NAME, handler);
    }
    return true;
  }
}
