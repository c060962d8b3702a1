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
final class AlwaysSendKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "client";
  private final X509Certificate[] chain;
  private final PrivateKey key;

  AlwaysSendKeyManager(List<X509Certificate> chain, PrivateKey key) {
    this.chain = chain.toArray(new X509Certificate[0]);
    this.key = key;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
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
