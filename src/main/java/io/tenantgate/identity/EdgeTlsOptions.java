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
import io.netty.handler.ssl.SslContext;
import io.vertx.core.spi.tls.SslContextFactory;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
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
      EdgeTrustManager trustManager, SessionTickets tickets) {
    ServerSSLOptions ssl = sslOptions(tls, material, trustManager);
    return options.setSsl(true)
        .setKeyCertOptions(ssl.getKeyCertOptions())
        .setTrustOptions(ssl.getTrustOptions())
        .setClientAuth(ssl.getClientAuth())
        .setEnabledSecureTransportProtocols(ssl.getEnabledSecureTransportProtocols())
        .setUseAlpn(ssl.isUseAlpn())
        .setSslHandshakeTimeout(ssl.getSslHandshakeTimeout())
        .setSslHandshakeTimeoutUnit(ssl.getSslHandshakeTimeoutUnit())
        .setSslEngineOptions(engine(tls.engine(), tickets));
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

  /**
   * As {@link #engine(TlsConfig.SslEngine)}; on BoringSSL every server context it builds gets its
   * session-ticket keys from {@code tickets} (null: the engine's own).
   */
  public static SSLEngineOptions engine(TlsConfig.SslEngine choice, SessionTickets tickets) {
    SSLEngineOptions engine = engine(choice);
    return tickets != null && engine instanceof OpenSSLEngineOptions ? new TicketKeyedOpenSsl(tickets) : engine;
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

  /** BoringSSL whose server contexts take their ticket keys from {@link SessionTickets}. */
  static final class TicketKeyedOpenSsl extends OpenSSLEngineOptions {
    private final SessionTickets tickets;

    TicketKeyedOpenSsl(SessionTickets tickets) {
      this.tickets = tickets;
    }

    @Override
    public OpenSSLEngineOptions copy() {
      TicketKeyedOpenSsl copy = new TicketKeyedOpenSsl(tickets);
      copy.setSessionCacheEnabled(isSessionCacheEnabled());
      copy.setUseWorkerThread(getUseWorkerThread());
      return copy;
    }

    @Override
    public SslContextFactory sslContextFactory() {
      return new Keyed(super.sslContextFactory(), tickets);
    }
  }

  /** Builds contexts with the default factory, then hands each to the ticket keys. */
  private static final class Keyed implements SslContextFactory {
    private final SslContextFactory delegate;
    private final SessionTickets tickets;

    Keyed(SslContextFactory delegate, SessionTickets tickets) {
      this.delegate = delegate;
      this.tickets = tickets;
    }

    @Override
    public SslContextFactory useAlpn(boolean useAlpn) {
      delegate.useAlpn(useAlpn);
      return this;
    }

    @Override
    public SslContextFactory clientAuth(io.netty.handler.ssl.ClientAuth clientAuth) {
      delegate.clientAuth(clientAuth);
      return this;
    }

    @Override
    public SslContextFactory forClient(boolean forClient) {
      delegate.forClient(forClient);
      return this;
    }

    @Override
    public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
      delegate.keyMananagerFactory(kmf);
      return this;
    }

    @Override
    public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) {
      delegate.trustManagerFactory(tmf);
      return this;
    }

    @Override
    public SslContextFactory enabledCipherSuites(Set<String> suites) {
      delegate.enabledCipherSuites(suites);
      return this;
    }

    @Override
    public SslContextFactory applicationProtocols(List<String> protocols) {
      delegate.applicationProtocols(protocols);
      return this;
    }

    @Override
    public SslContextFactory serverName(String name) {
      delegate.serverName(name);
      return this;
    }

    @Override
    public SslContext create() throws SSLException {
      SslContext context = delegate.create();
      tickets.attach(context);
      return context;
    }
  }
}
