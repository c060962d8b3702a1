package io.tenantgate.testing;

import io.tenantgate.pki.Pem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Blocking TLS sockets to the edge listener for tests that must send bytes no well-behaved client
 * library would (malformed HTTP/1.1, raw HTTP/2 frames, oversized certificate chains). The client
 * verifies the gateway against the platform root and presents whatever chain it is given.
 */
public final class RawTls {
  private final SSLContext context;

  private RawTls(SSLContext context) {
    this.context = context;
  }

  /** Presents {@code cert}'s chain file (leaf + tenant CA). */
  public static RawTls of(TestPki pki, TestPki.ClientCert cert) {
    try {
      return presenting(pki, Pem.readCertificates(cert.chainPem()), cert.certAndKey().privateKey());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Presents exactly {@code chain} (leaf first), signed with {@code key}, whatever the server asks for. */
  public static RawTls presenting(TestPki pki, List<X509Certificate> chain, java.security.PrivateKey key) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("root", pki.root.certificate());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {new AlwaysSendKeyManager(chain, key)}, tmf.getTrustManagers(), null);
      return new RawTls(ctx);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A connected socket after the handshake, offering ALPN {@code protocols} (none when empty). */
  public SSLSocket connect(int port, String... protocols) throws IOException {
    SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    SSLParameters p = s.getSSLParameters();
    p.setServerNames(List.of(new javax.net.ssl.SNIHostName("localhost")));
    p.setEndpointIdentificationAlgorithm("HTTPS");
    if (protocols.length > 0) {
      p.setApplicationProtocols(protocols);
    }
    s.setSSLParameters(p);
    s.setSoTimeout(10_000);
    s.startHandshake();
    return s;
  }

  /**
   * Writes {@code request} on a fresh connection and returns everything the server sent until it
   * closed the connection or stayed silent for {@code quietMillis}.
   */
  public String exchange(int port, String request, int quietMillis) throws IOException {
    try (SSLSocket s = connect(port, "http/1.1")) {
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return readUntilQuiet(s.getInputStream(), s, quietMillis);
    }
  }

  /**
   * One HTTP/1.1 request on a fresh connection whose TLS session is cached under {@code sessionHost}
   * (not under the port): connections to different gateways then offer the same session ticket, as
   * an agent reconnecting through a load balancer would. Returns the response, read until close.
   */
  public String exchangeResuming(int port, String sessionHost, String request) throws IOException {
    java.net.Socket plain = new java.net.Socket();
    plain.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, sessionHost, 443, true)) {
      SSLParameters p = s.getSSLParameters();
      p.setServerNames(List.of(new javax.net.ssl.SNIHostName("localhost")));
      p.setApplicationProtocols(new String[] {"http/1.1"});
      s.setSSLParameters(p);
      s.setSoTimeout(10_000);
      s.startHandshake();
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return readUntilQuiet(s.getInputStream(), s, 3_000);
    }
  }

  static String readUntilQuiet(InputStream in, SSLSocket s, int quietMillis) throws IOException {
    s.setSoTimeout(quietMillis);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      // quiet: the server keeps the connection but has nothing more to say
    } catch (IOException e) {
      // reset by the server: what arrived before counts
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }
}
