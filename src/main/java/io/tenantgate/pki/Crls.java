package io.tenantgate.pki;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.cert.CRLException;
import java.security.cert.X509CRL;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificate revocation lists: issued by a CA over the serials it revokes, written as PEM. */
public final class Crls {
  private Crls() {
  }

  /** A CRL signed by {@code issuer} revoking {@code serials} (reason: key compromise). */
  public static X509CRL issue(CertAndKey issuer, Collection<BigInteger> serials, Instant thisUpdate, Instant nextUpdate) {
    X509v2CRLBuilder b = new JcaX509v2CRLBuilder(issuer.certificate().getSubjectX500Principal(), Date.from(thisUpdate))
        .setNextUpdate(Date.from(nextUpdate));
    for (BigInteger serial : serials) {
      b.addCRLEntry(serial, Date.from(thisUpdate), CRLReason.keyCompromise);
    }
    try {
      return new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder(
          CertificateBuilder.signatureAlgorithm(issuer.privateKey())).build(issuer.privateKey())));
    } catch (OperatorCreationException | CRLException e) {
      throw new IllegalStateException("cannot sign CRL", e);
    }
  }

  /** The CRL as an {@code X509 CRL} PEM block. */
  public static String pem(X509CRL crl) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(crl);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode CRL as PEM", e);
    }
    return out.toString();
  }
}
