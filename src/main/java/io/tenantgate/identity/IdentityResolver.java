package io.tenantgate.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tenantgate.pki.ComponentTypes;
import io.tenantgate.config.IdentityConfig;
import io.tenantgate.error.Failure;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyIdentifiers;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantCa;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * DESIGN.md rules 2-5 on a chain that already passed rule 1 in the handshake: the issuing CA is a
 * registered, active tenant CA; the CN parses and names that CA's tenant; a SPIFFE SAN agrees; the
 * serial is not revoked; the tenant is active; the listener's pin admits the tenant. In two steps:
 * {@link #present} reads the certificates once per connection, {@link #resolve(PresentedChain,
 * RegistrySnapshot)} applies the registry (pure, a few map lookups) at the handshake and again on each
 * registry change for the connections still open.
 */
public final class IdentityResolver {
  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;
  private static final String SAN_OID = "2.5.29.17";

  private final IdentityConfig naming;
  private final Set<String> tenantPin;
  /** How many presented chains {@link #present} remembers (0: none). */
  private final int presentedCacheSize;
  /**
   * What {@link #present} read from chains under one trust, by the chains' bytes. A new trust (TLS
   * reload: which certificates are roots may change) gets a new, empty cache; the one before is kept for
   * handshakes still under the old trust, and any older one is dropped with its trust.
   */
  private final AtomicReference<PresentedCache> presented = new AtomicReference<>();

  public IdentityResolver(IdentityConfig naming, Collection<String> tenantPin) {
    this(naming, tenantPin, 0);
  }

  /**
   * @param presentedCacheSize how many presented chains to remember ({@code edge.tls.presentedChainCacheSize}):
   *     a reconnecting agent, and every resumed session, then skips parsing its certificates; 0 = parse each time
   */
  public IdentityResolver(IdentityConfig naming, Collection<String> tenantPin, int presentedCacheSize) {
    this.naming = naming;
    this.tenantPin = Set.copyOf(tenantPin);
    this.presentedCacheSize = presentedCacheSize;
  }

  /** The chains read under {@code trust}; {@code previous}: the cache of the trust before it, if any. */
  private record PresentedCache(PlatformTrust trust, Cache<ByteBuffer, PresentedChain> chains,
      PresentedCache previous) {
    /** This cache, or the previous one, when it is for {@code t}; else null. */
    PresentedCache forTrust(PlatformTrust t) {
      return trust == t ? this : previous != null && previous.trust == t ? previous : null;
    }
  }

  public Resolution resolve(List<? extends Certificate> peerChain, PlatformTrust trust, RegistrySnapshot snapshot) {
    return resolve(present(peerChain, trust), snapshot);
  }

  /**
   * Reads what resolution needs from a presented chain (leaf first), once per connection, or finds what
   * was read from the same chain before. The certificates are parsed afresh from their encoding, so a
   * TLS engine's lazily parsed copies (kept by the session for the connection's life) stay unparsed.
   */
  public PresentedChain present(List<? extends Certificate> peerChain, PlatformTrust trust) {
    // a chain by content, as VerifiedChains keys it
    ByteBuffer key = presentedCacheSize <= 0 || peerChain == null || peerChain.isEmpty() ? null
        : VerifiedChains.key(peerChain);
    if (key == null) {
      return read(peerChain, trust);
    }
    PresentedCache current = presented.get();
    PresentedCache cache = current == null ? null : current.forTrust(trust);
    if (cache == null) {
      // a new trust (TLS reload): a fresh cache, the one before kept for connections still handshaking
      // under the old trust (so they do not put it back), the one before that dropped with its trust
      PresentedCache fresh = new PresentedCache(trust,
          Caffeine.newBuilder().maximumSize(presentedCacheSize).executor(Runnable::run).build(),
          current == null ? null : new PresentedCache(current.trust(), current.chains(), null));
      if (!presented.compareAndSet(current, fresh)) {
        return read(peerChain, trust); // another connection installed one meanwhile: read this chain alone
      }
      cache = fresh;
    }
    PresentedChain p = cache.chains().getIfPresent(key);
    if (p == null) {
      p = read(peerChain, trust);
      cache.chains().put(key, p);
    }
    return p;
  }

  private PresentedChain read(List<? extends Certificate> peerChain, PlatformTrust trust) {
    List<X509Certificate> chain = peerChain == null ? List.of() : PeerChain.parsed(peerChain);
    if (chain.isEmpty()) {
      return PresentedChain.NONE;
    }
    X509Certificate leaf = chain.get(0);
    List<X509Certificate> mids = PeerChain.intermediates(chain, trust);
    String caSpki = mids.size() == 1 && PeerChain.issued(leaf, mids.get(0)) ? Fingerprints.spkiSha256Hex(mids.get(0))
        : null;
    String caKeyId = mids.isEmpty() ? KeyIdentifiers.authorityKeyId(leaf) : null;
    String subject = leaf.getSubjectX500Principal().getName(X500Principal.RFC2253);
    ComponentName name = ComponentName.parse(singleCn(subject), naming.trustDomain());
    Sans sans = sans(leaf);
    SpiffeId spiffe = null;
    boolean spiffeMismatch = false;
    if (sans != null && !sans.spiffe().isEmpty()) {
      spiffe = sans.spiffe().size() == 1 ? SpiffeId.parse(sans.spiffe().get(0)) : null;
      spiffeMismatch = spiffe == null || name == null || !agrees(spiffe, name);
    }
    long notBefore = Long.MIN_VALUE;
    long notAfter = Long.MAX_VALUE;
    for (X509Certificate c : chain) {
      notBefore = Math.max(notBefore, c.getNotBefore().getTime());
      notAfter = Math.min(notAfter, c.getNotAfter().getTime());
    }
    boolean agreed = spiffe != null && !spiffeMismatch;
    return new PresentedChain(true, caSpki, caKeyId, subject, name, sans == null ? null : sans.dns(),
        agreed ? spiffe.uri() : null, agreed ? spiffe.componentType() : null, spiffeMismatch,
        Fingerprints.serialHex(leaf.getSerialNumber()), Fingerprints.sha256Hex(leaf), notBefore, notAfter);
  }

  /**
   * Whether the presented certificates, and the tenant CA the registry filled in when the client sent
   * its leaf alone, are all within their validity at {@code nowMillis}. The handshake checked this; a
   * resumed TLS session (a ticket) does not, so the gateway asks on every connection.
   */
  public boolean withinValidity(PresentedChain p, RegistrySnapshot snapshot, long nowMillis) {
    if (!p.withinValidity(nowMillis)) {
      return false;
    }
    TenantCa filledIn = p.caSpki == null && p.caKeyId != null ? snapshot.caByKeyId(p.caKeyId) : null;
    if (filledIn == null) {
      return true;
    }
    X509Certificate c = filledIn.certificateOrNull();
    return c != null && c.getNotBefore().getTime() <= nowMillis && nowMillis <= c.getNotAfter().getTime();
  }

  /** Rules 2-5 against {@code snapshot}: run at the handshake and again on every registry change. */
  public Resolution resolve(PresentedChain p, RegistrySnapshot snapshot) {
    if (!p.usable) {
      return Resolution.refused(Failure.NO_CLIENT_CERT, null);
    }
    TenantCa ca = p.caSpki != null ? snapshot.caBySpki(p.caSpki) : p.caKeyId != null ? snapshot.caByKeyId(p.caKeyId)
        : null;
    // a registry CA whose PEM does not parse, or does not match the hash it is indexed by, binds nobody
    Tenant tenant = ca == null || ca.certificateOrNull() == null ? null : snapshot.tenant(ca.tenantId());
    if (tenant == null) {
      return Resolution.refused(Failure.UNKNOWN_CA, null);
    }
    String slug = tenant.slug();
    if (!ca.active()) {
      return Resolution.refused(Failure.CA_DISABLED, slug);
    }
    ComponentName name = p.name;
    if (name == null) {
      return Resolution.refused(Failure.BAD_CN, slug);
    }
    if (!name.tenantSlug().equals(slug)) {
      return Resolution.refused(Failure.TENANT_MISMATCH, slug);
    }
    if (p.dnsSans == null || !p.dnsWithin(slug + "." + naming.trustDomain())) {
      return Resolution.refused(p.dnsSans == null ? Failure.BAD_CN : Failure.TENANT_MISMATCH, slug);
    }
    if (p.spiffeMismatch) {
      return Resolution.refused(Failure.SPIFFE_MISMATCH, slug);
    }
    if (snapshot.isRevoked(p.serialHex)) {
      return Resolution.refused(Failure.REVOKED, slug);
    }
    if (!tenant.active()) {
      return Resolution.refused(Failure.TENANT_SUSPENDED, slug);
    }
    if (!tenantPin.isEmpty() && !tenantPin.contains(slug)) {
      return Resolution.refused(Failure.PINNED_TENANT, slug);
    }
    String type = p.spiffeType != null ? p.spiffeType : ComponentTypes.fromComponentId(name.componentId());
    return Resolution.accepted(ClientIdentity.of(tenant.id(), slug, name.partitionId(), name.componentId(), type,
        p.sha256, p.serialHex, p.subject, p.spiffeUri, ca.spkiSha256()));
  }

  private boolean agrees(SpiffeId id, ComponentName name) {
    return id.trustDomain().equals(naming.spiffeTrustDomain()) && id.tenantSlug().equals(name.tenantSlug())
        && id.partitionId().equals(name.partitionId()) && id.componentId().equals(name.componentId());
  }

  /** The CN when the subject has exactly one, else null. */
  static String singleCn(String rfc2253) {
    try {
      String cn = null;
      for (Rdn rdn : new LdapName(rfc2253).getRdns()) {
        Attribute attr = rdn.toAttributes().get("CN");
        if (attr == null) {
          continue;
        }
        if (cn != null || rdn.size() != 1 || attr.size() != 1 || !(attr.get() instanceof String s)) {
          return null;
        }
        cn = s;
      }
      return cn;
    } catch (NamingException e) {
      return null;
    }
  }

  private record Sans(List<String> dns, List<String> spiffe) {
  }

  /** DNS and spiffe:// URI SANs; null when the extension cannot be parsed. */
  private static Sans sans(X509Certificate leaf) {
    try {
      Collection<List<?>> all = leaf.getSubjectAlternativeNames();
      if (all == null && leaf.getExtensionValue(SAN_OID) != null) {
        // the JDK answers null for a SAN extension it cannot parse (e.g. an empty spiffe:// URI): the names
        // in it would escape every check here and PKIX's name constraints, so it is refused, not ignored
        return null;
      }
      List<String> dns = new ArrayList<>();
      List<String> spiffe = new ArrayList<>();
      if (all != null) {
        for (List<?> san : all) {
          int type = (Integer) san.get(0);
          if (type == SAN_DNS) {
            dns.add(String.valueOf(san.get(1)));
          } else if (type == SAN_URI && String.valueOf(san.get(1)).startsWith(SpiffeId.SCHEME)) {
            spiffe.add(String.valueOf(san.get(1)));
          }
        }
      }
      return new Sans(dns, spiffe);
    } catch (CertificateParsingException | RuntimeException e) {
      return null;
    }
  }
}
