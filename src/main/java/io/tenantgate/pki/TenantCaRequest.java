package io.tenantgate.pki;

import java.io.IOException;
import java.io.StringWriter;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A tenant intermediate CA whose root stays offline: the key is made here and a PKCS#10 request
 * asks for exactly what {@link Pki#createTenantCa} would issue ({@code CA:true, pathlen:0},
 * keyCertSign/cRLSign, NameConstraints to {@code <slug>.<trustDomain>}). Whoever holds the root
 * signs it; {@link #checkSigned} accepts the returned certificate only if it is that CA.
 * Key generation and signing are blocking CPU work.
 */
public final class TenantCaRequest {
  private final KeyPair keys;
  private final String csrPem;

  private TenantCaRequest(KeyPair keys, String csrPem) {
    this.keys = keys;
    this.csrPem = csrPem;
  }

  /** A new P-256 key and the request for {@code tenant-<slug>.ca.<trustDomain>}. */
  public static TenantCaRequest create(String slug, String trustDomain) {
    Names.requireSlug("tenant slug", slug);
    Names.requireDomain("trust domain", trustDomain);
    KeyPair keys = KeyAlgorithm.EC_P256.generate();
    try {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      ext.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      ext.addExtension(Extension.nameConstraints, true, new NameConstraints(new GeneralSubtree[] {
          new GeneralSubtree(new GeneralName(GeneralName.dNSName, slug + "." + trustDomain))}, null));
      PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(
          new X500Name("CN=tenant-" + slug + ".ca." + trustDomain), keys.getPublic())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
      StringWriter out = new StringWriter();
      try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
        pem.writeObject(csr);
      }
      return new TenantCaRequest(keys, out.toString());
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot build the tenant CA request: " + e.getMessage(), e);
    }
  }

  public String csrPem() {
    return csrPem;
  }

  public PrivateKey privateKey() {
    return keys.getPrivate();
  }

  public PublicKey publicKey() {
    return keys.getPublic();
  }

  /**
   * Accepts {@code cert} as the signed form of a request for {@code slug}: same public key as
   * {@code requestKey}, signed by {@code root}, valid now, a pathlen-0 CA whose NameConstraints
   * permit exactly {@code <slug>.<trustDomain>}. Throws IllegalArgumentException saying what is wrong.
   */
  public static void checkSigned(X509Certificate cert, PublicKey requestKey, X509Certificate root, String slug,
      String trustDomain) {
    if (!Arrays.equals(cert.getPublicKey().getEncoded(), requestKey.getEncoded())) {
      throw new IllegalArgumentException("the certificate's public key is not the key of the pending request");
    }
    try {
      cert.verify(root.getPublicKey());
      cert.checkValidity();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the certificate is not a valid certificate signed by the platform root: "
          + e.getMessage());
    }
    String cn = "CN=tenant-" + slug + ".ca." + trustDomain;
    if (!new X500Name(cn).equals(X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()))) {
      throw new IllegalArgumentException("the certificate's subject must be " + cn + ", got "
          + cert.getSubjectX500Principal().getName());
    }
    if (cert.getBasicConstraints() != 0) {
      throw new IllegalArgumentException("the certificate must be a CA with pathlen 0 (basicConstraints "
          + cert.getBasicConstraints() + ")");
    }
    try {
      var parsed = new JcaX509CertificateHolder(cert).getExtensions();
      NameConstraints nc = parsed == null ? null
          : NameConstraints.getInstance(parsed.getExtensionParsedValue(Extension.nameConstraints));
      String want = slug + "." + trustDomain;
      if (nc == null || nc.getPermittedSubtrees() == null || nc.getPermittedSubtrees().length != 1
          || nc.getPermittedSubtrees()[0].getBase().getTagNo() != GeneralName.dNSName
          || !want.equalsIgnoreCase(nc.getPermittedSubtrees()[0].getBase().getName().toString())) {
        throw new IllegalArgumentException("the certificate must carry NameConstraints permitting only DNS " + want);
      }
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalArgumentException("the certificate cannot be read: " + e.getMessage());
    }
  }
}
