package io.tenantgate.ingress;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.Http1xServerConnection;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.x message framing the gateway refuses instead of guessing (RFC 9112 sections 6.1 and 6.3):
 * a request with both Transfer-Encoding and Content-Length (Netty would drop the Content-Length and
 * read chunks), a Transfer-Encoding that is not exactly {@code chunked} (not last, repeated, or a coding
 * the gateway cannot undo), or any Transfer-Encoding in an HTTP/1.0 request. Such a request is marked
 * invalid, so it reaches the server's invalid-request handler (400 {@code bad_framing}, connection
 * closed), and the decoder reads nothing more from the connection: the bytes behind its body are never
 * parsed as another request. Duplicate or malformed Content-Length is already refused by Netty.
 *
 * <p>Vert.x has no option for this, so {@link #install} swaps the connection's request decoder for a
 * subclass of Vert.x's own, from the connection handler (before the first request byte is decoded;
 * Vert.x adds its WebSocket extension handler at the same point). The same decoder keeps the
 * {@link HeadClock} the header timeout reads: when the request head now being received began.
 */
final class StrictFraming {
  private StrictFraming() {
  }

  /**
   * When the HTTP/1.1 request head now arriving began ({@link System#nanoTime}), 0 while none is: from
   * the first byte after the previous request ended (or of the connection) until the head is parsed.
   * Read by the idle sweep on the connection's event loop, written by the decoder on the same loop.
   */
  interface HeadClock {
    HeadClock NONE = () -> 0;

    long headStartedNanos();
  }

  /** Thrown into the request's decoder result; {@link EdgeVerticle} maps it to {@code bad_framing}. */
  static final class AmbiguousFraming extends RuntimeException {
    AmbiguousFraming(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Puts the strict decoder on an HTTP/1.x connection and returns its head clock; HTTP/2 connections
   * are left alone (their framing has no Content-Length/Transfer-Encoding ambiguity, and a header block
   * is one frame sequence Netty bounds): {@link HeadClock#NONE}. Returns null if the connection is
   * HTTP/1.x but its pipeline is not the one expected (a Vert.x upgrade changed it): the caller
   * refuses such a connection rather than serve it with lenient framing.
   */
  static HeadClock install(HttpConnection conn, HttpServerOptions options) {
    if (!(conn instanceof Http1xServerConnection h1)) {
      return HeadClock.NONE;
    }
    ChannelPipeline pipeline = h1.channelHandlerContext().pipeline();
    ChannelHandler current = pipeline.get("httpDecoder");
    if (current instanceof Decoder d) {
      return d;
    }
    if (current == null || current.getClass() != VertxHttpRequestDecoder.class) {
      return null;
    }
    Decoder d = new Decoder(options);
    pipeline.replace("httpDecoder", "httpDecoder", d);
    return d;
  }

  /** Why the framing of a request with these headers is refused, or null when it is unambiguous. */
  static String problem(HttpVersion version, List<String> transferEncodings, boolean hasContentLength) {
    if (transferEncodings.isEmpty()) {
      return null;
    }
    if (!HttpVersion.HTTP_1_1.equals(version)) {
      return "Transfer-Encoding in an HTTP/1.0 request";
    }
    if (hasContentLength) {
      return "Transfer-Encoding with Content-Length";
    }
    int codings = 0;
    String last = null;
    for (String value : transferEncodings) {
      for (String coding : value.split(",", -1)) {
        String c = coding.trim();
        if (!c.isEmpty()) {
          codings++;
          last = c.toLowerCase(Locale.ROOT);
        }
      }
    }
    if (!"chunked".equals(last)) {
      return "Transfer-Encoding whose final coding is not chunked";
    }
    return codings == 1 ? null : "Transfer-Encoding with a coding other than chunked";
  }

  /** Vert.x's request decoder, refusing ambiguous framing and then reading nothing more; times each head. */
  private static final class Decoder extends VertxHttpRequestDecoder implements HeadClock {
    private boolean refused;
    private boolean awaitingHead = true;
    private long headStarted;

    Decoder(HttpServerOptions options) {
      super(options);
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
      // called once per message, after its headers are parsed and before Netty picks its body framing
      if (!msg.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
        return super.isContentAlwaysEmpty(msg); // the common case: no list built per request
      }
      String problem = problem(msg.protocolVersion(), msg.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING),
          msg.headers().contains(HttpHeaderNames.CONTENT_LENGTH));
      if (problem != null && msg.decoderResult().isSuccess()) {
        msg.setDecoderResult(DecoderResult.failure(new AmbiguousFraming(problem)));
        refused = true;
      }
      return super.isContentAlwaysEmpty(msg);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
      if (refused) {
        buffer.skipBytes(buffer.readableBytes());
        return;
      }
      startHeadClock(buffer);
      int from = out.size();
      super.decode(ctx, buffer, out);
      for (int i = from; i < out.size(); i++) {
        Object o = out.get(i);
        if (o instanceof HttpMessage) {
          awaitingHead = false;
          headStarted = 0;
        }
        if (o instanceof LastHttpContent) {
          awaitingHead = true;
        }
      }
      startHeadClock(buffer); // the next request's first bytes may already be here (pipelining)
    }

    private void startHeadClock(ByteBuf buffer) {
      if (awaitingHead && headStarted == 0 && buffer.isReadable()) {
        headStarted = System.nanoTime() | 1; // never 0, which means "no head arriving"
      }
    }

    @Override
    public long headStartedNanos() {
      return headStarted;
    }
  }
}
