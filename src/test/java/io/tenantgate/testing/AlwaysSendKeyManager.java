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
  private static final String ALIAS = "client";
  private final X509Certificate[] chain;
  private final PrivateKey key;
  private final List<Principal> advertised;

  public AlwaysSendKeyManager(List<X509Certificate> chain, PrivateKey key) {
    this(chain, key, new java.util.concurrent.CopyOnWriteArrayList<>());
  }

  /** Also records into {@code advertised} the CA names the server sent in its CertificateRequest. */
  public AlwaysSendKeyManager(List<X509Certificate> chain, PrivateKey key, List<Principal> advertised) {
    this.chain = chain.toArray(new X509Certificate[0]);
    this.key = key;
    this.advertised = advertised;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
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
    return ALIAS;
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
    return chain.clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return key;
  }
}
