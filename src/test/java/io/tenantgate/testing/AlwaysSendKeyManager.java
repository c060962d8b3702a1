package io.tenantgate.testing;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A client key manager that presents its chain whatever CA names the server advertises — like curl
 * and most non-JDK clients do. The JDK's own key manager silently sends no certificate when the
 * chain does not end at an advertised issuer, which would hide server-side refusals.
 */
public final class AlwaysSendKeyManager extends X509ExtendedKeyManager {
  private final List<X509Certificate[]> chains;
  private final List<PrivateKey> keys;
  private final List<Principal> advertised;
  private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

  public AlwaysSendKeyManager(List<X509Certificate> chain, PrivateKey key) {
    this(chain, key, new java.util.concurrent.CopyOnWriteArrayList<>());
  }

  /** Also records into {@code advertised} the CA names the server sent in its CertificateRequest. */
  public AlwaysSendKeyManager(List<X509Certificate> chain, PrivateKey key, List<Principal> advertised) {
    this(List.of(chain), List.of(key), advertised);
  }

  private AlwaysSendKeyManager(List<List<X509Certificate>> chains, List<PrivateKey> keys, List<Principal> advertised) {
    this.chains = chains.stream().map(c -> c.toArray(new X509Certificate[0])).toList();
    this.keys = List.copyOf(keys);
    this.advertised = advertised;
  }

  /**
   * Presents the next of {@code certs} on each new handshake (round robin): one client, many
   * identities, without building an SSL context per identity.
   */
  public static AlwaysSendKeyManager rotating(List<TestPki.ClientCert> certs) {
    List<List<X509Certificate>> chains = new java.util.ArrayList<>();
    List<PrivateKey> keys = new java.util.ArrayList<>();
    for (TestPki.ClientCert c : certs) {
      try {
        chains.add(io.tenantgate.pki.Pem.readCertificates(c.chainPem()));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      keys.add(c.certAndKey().privateKey());
    }
    return new AlwaysSendKeyManager(chains, keys, new java.util.concurrent.CopyOnWriteArrayList<>());
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {"0"};
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return chooseEngineClientAlias(keyType, issuers, null);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    if (issuers != null) {
      advertised.addAll(List.of(issuers));
    }
    return Integer.toString(Math.floorMod(next.getAndIncrement(), chains.size()));
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return chains.get(Integer.parseInt(alias)).clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return keys.get(Integer.parseInt(alias));
  }
}
