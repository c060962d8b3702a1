package io.tenantgate.ingress;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.tenantgate.testing.RawTls;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;

/**
 * HTTP/2 spoken frame by frame over a blocking TLS socket (ALPN h2), for attacks a conforming client
 * library would never make: streams opened and reset at full speed, endless CONTINUATION, SETTINGS and
 * PING floods, more streams than the server allows. Header blocks are HPACK-encoded with Netty's codec.
 */
final class RawHttp2 implements AutoCloseable {
  static final int DATA = 0x0;
  static final int HEADERS = 0x1;
  static final int RST_STREAM = 0x3;
  static final int SETTINGS = 0x4;
  static final int PING = 0x6;
  static final int GOAWAY = 0x7;
  static final int CONTINUATION = 0x9;
  static final int END_STREAM = 0x1;
  static final int ACK = 0x1;
  static final int END_HEADERS = 0x4;
  static final int CANCEL = 0x8;
  static final int REFUSED_STREAM = 0x7;
  static final int SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  /** One frame as read from the server. */
  record Frame(int type, int flags, int stream, byte[] payload) {
    /** A HEADERS frame's header block fragment, without padding and priority fields. */
    byte[] block() {
      int from = 0;
      int to = payload.length;
      if ((flags & 0x8) != 0) {
        to -= payload[0] & 0xff;
        from = 1;
      }
      if ((flags & 0x20) != 0) {
        from += 5;
      }
      return java.util.Arrays.copyOfRange(payload, from, to);
    }

    /** A response HEADERS frame saying {@code :status 200} as HPACK static entry 8 (how Netty writes it). */
    boolean isStatus200() {
      byte[] b = block();
      return type == HEADERS && b.length > 0 && b[0] == (byte) 0x88;
    }

    int errorCode() {
      return type == RST_STREAM ? ByteBuffer.wrap(payload).getInt() : ByteBuffer.wrap(payload, 4, 4).getInt();
    }
  }

  final SSLSocket socket;
  private final OutputStream out;
  private final DataInputStream in;
  private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
  private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
  long bytesWritten;

  private RawHttp2(SSLSocket socket) throws IOException {
    this.socket = socket;
    this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    this.in = new DataInputStream(socket.getInputStream());
  }

  /** Connects, checks ALPN chose h2, and sends the preface with empty SETTINGS (nothing is read). */
  static RawHttp2 open(RawTls tls, int port) throws IOException {
    SSLSocket s = tls.connect(port, "h2");
    if (!"h2".equals(s.getApplicationProtocol())) {
      s.close();
      throw new IllegalStateException("ALPN did not select h2: " + s.getApplicationProtocol());
    }
    RawHttp2 c = new RawHttp2(s);
    c.out.write(PREFACE);
    c.frame(SETTINGS, 0, 0, new byte[0]);
    c.flush();
    return c;
  }

  /** An HPACK block for a request; keeps the connection's dynamic table in step. */
  byte[] requestHeaders(String method, String path, Map<String, String> extra) {
    Http2Headers h = new DefaultHttp2Headers().method(method).path(path).scheme("https").authority("localhost");
    extra.forEach(h::add);
    ByteBuf buf = Unpooled.buffer();
    try {
      encoder.encodeHeaders(0, h, buf);
      return ByteBufUtil.getBytes(buf);
    } catch (Http2Exception e) {
      throw new IllegalStateException(e);
    } finally {
      buf.release();
    }
  }

  Http2Headers decode(byte[] block) throws Http2Exception {
    ByteBuf buf = Unpooled.wrappedBuffer(block);
    try {
      return decoder.decodeHeaders(0, buf);
    } finally {
      buf.release();
    }
  }

  void frame(int type, int flags, int stream, byte[] payload) throws IOException {
    byte[] head = new byte[9];
    head[0] = (byte) (payload.length >>> 16);
    head[1] = (byte) (payload.length >>> 8);
    head[2] = (byte) payload.length;
    head[3] = (byte) type;
    head[4] = (byte) flags;
    ByteBuffer.wrap(head, 5, 4).putInt(stream & 0x7fffffff);
    out.write(head);
    out.write(payload);
    bytesWritten += 9 + payload.length;
  }

  void rst(int stream, int code) throws IOException {
    frame(RST_STREAM, 0, stream, ByteBuffer.allocate(4).putInt(code).array());
  }

  void flush() throws IOException {
    out.flush();
  }

  /**
   * Reads frames (ACKing the server's SETTINGS) until {@code done} holds for the frames read so far, the
   * server closes, or it stays silent for {@code quietMillis}; returns every frame read.
   */
  List<Frame> readUntil(java.util.function.Predicate<List<Frame>> done, int quietMillis) throws IOException {
    List<Frame> frames = new ArrayList<>();
    socket.setSoTimeout(quietMillis);
    try {
      while (!done.test(frames)) {
        int len = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] payload = new byte[len];
        in.readFully(payload);
        Frame f = new Frame(type, flags, stream, payload);
        frames.add(f);
        if (type == SETTINGS && (flags & ACK) == 0) {
          frame(SETTINGS, ACK, 0, new byte[0]);
          flush();
        }
      }
    } catch (SocketTimeoutException | EOFException e) {
      // silence or the end of the connection: the caller judges what arrived
    } catch (IOException e) {
      // reset by the server
    }
    return frames;
  }

  /** The value of {@code id} in the first SETTINGS frame of {@code frames}, or -1. */
  static long setting(List<Frame> frames, int id) {
    for (Frame f : frames) {
      if (f.type() == SETTINGS && (f.flags() & ACK) == 0) {
        ByteBuffer b = ByteBuffer.wrap(f.payload());
        while (b.remaining() >= 6) {
          int key = b.getShort() & 0xffff;
          long value = b.getInt() & 0xffffffffL;
          if (key == id) {
            return value;
          }
        }
      }
    }
    return -1;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // already gone
    }
  }
}
