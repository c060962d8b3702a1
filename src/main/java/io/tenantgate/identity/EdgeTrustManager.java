package io.tenantgate.identity;

import io.tenantgate.error.Failure;
import io.tenantgate.metrics.GatewayMetrics;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.TenantCa;
import io.tenantgate.tenant.TenantRegistry;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge listener's trust manager. It advertises only the platform root(s) in the
 * CertificateRequest, applies rule 1 ({@link ChainVerifier}) in the handshake, completes chains
 * sent without the tenant CA from the registry, and counts and logs every refusal once with its
 * reason and (when the issuing CA is known) tenant. The trust can be replaced at run time.
 */
public final class EdgeTrustManager extends X509ExtendedTrustManager {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeTrustManager.class);

  private final AtomicReference<PlatformTrust> trust;
  private final TenantRegistry registry;
  private final GatewayMetrics metrics;
  private final int verifiedChainCacheSize;
  private final LongAdder cacheHits = new LongAdder();
  private final LongAdder cacheMisses = new LongAdder();
  /** Chains already validated under the trust in force; replaced with the trust. */
  private volatile VerifiedChains verified;

  public EdgeTrustManager(PlatformTrust trust, TenantRegistry registry, GatewayMetrics metrics) {
    this(trust, registry, metrics, 0);
  }

  /** @param verifiedChainCacheSize how many validated chains to remember (0: validate every handshake in full) */
  public EdgeTrustManager(PlatformTrust trust, TenantRegistry registry, GatewayMetrics metrics,
      int verifiedChainCacheSize) {
    this.trust = new AtomicReference<>(trust);
    this.registry = registry;
    this.metrics = metrics;
    this.verifiedChainCacheSize = verifiedChainCacheSize;
    this.verified = VerifiedChains.of(trust, verifiedChainCacheSize, cacheHits, cacheMisses);
    if (verifiedChainCacheSize > 0) {
      metrics.counterOf("tenantgate.tls.chain.validations", "Client chains validated in full (PKIX) or found already validated",
          cacheHits, LongAdder::sum, "result", "cached");
      metrics.counterOf("tenantgate.tls.chain.validations", "Client chains validated in full (PKIX) or found already validated",
          cacheMisses, LongAdder::sum, "result", "validated");
    }
  }

  public PlatformTrust trust() {
    return trust.get();
  }

  /** New handshakes validate against {@code next}; established connections are not touched. */
  public void replaceTrust(PlatformTrust next) {
    verified = VerifiedChains.of(next, verifiedChainCacheSize, cacheHits, cacheMisses);
    trust.set(next);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, engine == null ? null : engine.getPeerHost() + ":" + engine.getPeerPort());
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, socket == null ? null : String.valueOf(socket.getRemoteSocketAddress()));
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, null);
  }

  private void check(X509Certificate[] chain, String peer) throws CertificateException {
    List<X509Certificate> certs = chain == null ? List.of() : Arrays.asList(chain);
    PlatformTrust t = trust.get();
    RegistrySnapshot snapshot = registry.snapshot();
    Failure failure = ChainVerifier.verify(certs, t, snapshot, new Date(), verified);
    if (failure == null) {
      return;
    }
    String tenant = certs.isEmpty() ? null : tenantOf(certs, t, snapshot);
    metrics.refusal(failure.code(), tenant, "handshake");
    metrics.handshake("failed", failure.code(), tenant);
    if (LOG.isInfoEnabled()) {
      X509Certificate leaf = certs.isEmpty() ? null : certs.get(0);
      LOG.info("op=handshake outcome=refused reason={} tenant={} peer={} subject=\"{}\" issuer=\"{}\" cert_sha256={}",
          failure.code(), tenant, peer, leaf == null ? "" : leaf.getSubjectX500Principal().getName(),
          leaf == null ? "" : leaf.getIssuerX500Principal().getName(),
          leaf == null ? "" : Fingerprints.sha256Hex(leaf));
    }
    throw HandshakeFailures.refusal(failure);
  }

  private static String tenantOf(List<X509Certificate> chain, PlatformTrust trust, RegistrySnapshot snapshot) {
    TenantCa ca = PeerChain.issuingCa(chain, trust, snapshot);
    if (ca == null) {
      return null;
    }
    var tenant = snapshot.tenant(ca.tenantId());
    return tenant == null ? null : tenant.slug();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("the edge trust manager only verifies clients");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("the edge trust manager only verifies clients");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("the edge trust manager only verifies clients");
  }

  /** Only the platform root(s): the CertificateRequest never lists tenant CAs. */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return trust.get().roots().toArray(new X509Certificate[0]);
  }
}
