package io.tenantgate.identity;

import io.tenantgate.config.TlsConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.net.TrustOptions;
import java.util.LinkedHashSet;
import java.util.concurrent.TimeUnit;

/**
 * The edge TLS settings, in one place for the initial listener and for every hot reload: the
 * gateway's validated certificate and key, client certificates REQUIRED and checked by
 * {@link EdgeTrustManager}, the configured TLS versions, ALPN for h2 and HTTP/1.1, and the SSL engine
 * (BoringSSL when available, unless the JDK engine is asked for). A reload rebuilds the full set —
 * Vert.x's ServerSSLOptions default to ClientAuth.NONE, so a partial update would turn mTLS off.
 */
public final class EdgeTlsOptions {
  private EdgeTlsOptions() {
  }

  public static HttpServerOptions apply(HttpServerOptions options, TlsConfig tls, TlsMaterial material,
      EdgeTrustManager trustManager) {
    ServerSSLOptions ssl = sslOptions(tls, material, trustManager);
    return options.setSsl(true)
        .setKeyCertOptions(ssl.getKeyCertOptions())
        .setTrustOptions(ssl.getTrustOptions())
        .setClientAuth(ssl.getClientAuth())
        .setEnabledSecureTransportProtocols(ssl.getEnabledSecureTransportProtocols())
        .setUseAlpn(ssl.isUseAlpn())
        .setSslHandshakeTimeout(ssl.getSslHandshakeTimeout())
        .setSslHandshakeTimeoutUnit(ssl.getSslHandshakeTimeoutUnit())
        .setSslEngineOptions(engine(tls.engine()));
  }

  /** The complete server SSL options for {@code material}; what a hot reload passes with force=true. */
  public static ServerSSLOptions sslOptions(TlsConfig tls, TlsMaterial material, EdgeTrustManager trustManager) {
    return new ServerSSLOptions()
        .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(material.certPem()))
            .setKeyValue(Buffer.buffer(material.keyPem())))
        .setTrustOptions(TrustOptions.wrap(trustManager))
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(new LinkedHashSet<>(tls.protocols()))
        .setUseAlpn(true)
        .setSslHandshakeTimeout(tls.handshakeTimeout().toMillis())
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /** The engine in force for {@code choice}: AUTO means OpenSSL when its native library loads. */
  public static SSLEngineOptions engine(TlsConfig.SslEngine choice) {
    return switch (choice) {
      case JDK -> new JdkSSLEngineOptions();
      case OPENSSL -> {
        if (!OpenSSLEngineOptions.isAvailable()) {
          throw new IllegalStateException("edge.tls.engine is openssl but netty-tcnative (BoringSSL) is not available");
        }
        yield new OpenSSLEngineOptions();
      }
      case AUTO -> OpenSSLEngineOptions.isAvailable() ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions();
    };
  }
}
