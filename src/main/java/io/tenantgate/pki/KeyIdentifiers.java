package io.tenantgate.pki;

import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;

/** Reads the key identifier extensions (lowercase hex), used to match a leaf to its issuing CA. */
public final class KeyIdentifiers {
  private KeyIdentifiers() {
  }

  /** SubjectKeyIdentifier of {@code cert}, or null when absent or malformed. */
  public static String subjectKeyId(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (ext == null) {
      return null;
    }
    try {
      byte[] inner = ASN1OctetString.getInstance(ext).getOctets();
      return HexFormat.of().formatHex(SubjectKeyIdentifier.getInstance(inner).getKeyIdentifier());
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** keyIdentifier of the AuthorityKeyIdentifier of {@code cert}, or null when absent or malformed. */
  public static String authorityKeyId(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(Extension.authorityKeyIdentifier.getId());
    if (ext == null) {
      return null;
    }
    try {
      byte[] inner = ASN1OctetString.getInstance(ext).getOctets();
      byte[] id = AuthorityKeyIdentifier.getInstance(inner).getKeyIdentifierOctets();
      return id == null ? null : HexFormat.of().formatHex(id);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
