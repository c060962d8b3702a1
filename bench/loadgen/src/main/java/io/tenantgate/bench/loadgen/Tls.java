package io.tenantgate.bench.loadgen;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import java.lang.reflect.Method;
import javax.net.ssl.SSLEngine;

/** Client TLS engine choice, and whether a connection's handshake resumed a session. */
final class Tls {
  private Tls() {
  }

  /** {@code openssl} (netty-tcnative BoringSSL, the default when it loads) or {@code jdk}. */
  static SSLEngineOptions engine(String name) {
    if (name.equals("jdk") || (name.equals("auto") && !OpenSSLEngineOptions.isAvailable())) {
      return new JdkSSLEngineOptions();
    }
    if (!OpenSSLEngineOptions.isAvailable()) {
      throw new IllegalStateException("OpenSSL engine (netty-tcnative) is not available");
    }
    return new OpenSSLEngineOptions();
  }

  static String engineName(SSLEngineOptions options) {
    return options instanceof OpenSSLEngineOptions ? "openssl:" + io.netty.handler.ssl.OpenSsl.versionString() : "jdk";
  }

  /**
   * True/false when the handshake of {@code conn} is known to have resumed a session or not; null
   * when it cannot be told (JDK engine). Reads Netty's package-private
   * {@code ReferenceCountedOpenSslEngine.isSessionReused()}: no public API exposes it.
   */
  static Boolean resumed(HttpConnection conn) {
    try {
      Method channel = findMethod(conn.getClass(), "channel");
      if (channel == null) {
        return null;
      }
      channel.setAccessible(true);
      io.netty.channel.Channel ch = (io.netty.channel.Channel) channel.invoke(conn);
      io.netty.handler.ssl.SslHandler ssl = ch.pipeline().get(io.netty.handler.ssl.SslHandler.class);
      if (ssl == null) {
        return null;
      }
      SSLEngine engine = ssl.engine();
      Method reused = findMethod(engine.getClass(), "isSessionReused");
      if (reused == null) {
        return null;
      }
      reused.setAccessible(true);
      return (Boolean) reused.invoke(engine);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Turns off (and empties) the client session cache of the TLS context {@code conn} came from, so
   * the next connections of that client make full handshakes. Netty's OpenSSL client caches
   * sessions per host:port by default; the JVM-wide switch would also stop the resumed mode.
   */
  static void disableSessionCache(HttpConnection conn) {
    javax.net.ssl.SSLSession session = conn.sslSession();
    if (session != null && session.getSessionContext() instanceof io.netty.handler.ssl.OpenSslSessionContext ctx) {
      ctx.setSessionCacheEnabled(false);
    }
  }

  private static Method findMethod(Class<?> type, String name) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      for (Method m : c.getDeclaredMethods()) {
        if (m.getName().equals(name) && m.getParameterCount() == 0) {
          return m;
        }
      }
    }
    return null;
  }
}
