package io.tenantgate.identity;

import io.tenantgate.config.TlsConfig;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.TrustOptions;
import java.util.LinkedHashSet;
import java.util.concurrent.TimeUnit;

/**
 * Applies the edge TLS settings to server options: the gateway's certificate, client certificates
 * REQUIRED and checked by {@link EdgeTrustManager}, the configured TLS versions, ALPN for h2 and
 * HTTP/1.1, and the SSL engine (BoringSSL when available, unless the JDK engine is asked for).
 */
public final class EdgeTlsOptions {
  private EdgeTlsOptions() {
  }

  public static HttpServerOptions apply(HttpServerOptions options, TlsConfig tls, EdgeTrustManager trustManager) {
    return options.setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certFile().toString())
            .setKeyPath(tls.keyFile().toString()))
        .setTrustOptions(TrustOptions.wrap(trustManager))
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(new LinkedHashSet<>(tls.protocols()))
        .setUseAlpn(true)
        .setSslEngineOptions(engine(tls.engine()))
        .setSslHandshakeTimeout(tls.handshakeTimeout().toMillis())
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /** The engine in force for {@code choice}: AUTO means OpenSSL when its native library loads. */
  public static SSLEngineOptions engine(TlsConfig.SslEngine choice) {
    return switch (choice) {
      case JDK -> new JdkSSLEngineOptions();
      case OPENSSL -> {
        if (!OpenSSLEngineOptions.isAvailable()) {
          throw new IllegalStateException("edge.tls.engine is openssl but netty-tcnative (BoringSSL) is not available: "
              + OpenSSLEngineOptions.isAvailable());
        }
        yield new OpenSSLEngineOptions();
      }
      case AUTO -> OpenSSLEngineOptions.isAvailable() ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions();
    };
  }
}
