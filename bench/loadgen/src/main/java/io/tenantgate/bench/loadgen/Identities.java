package io.tenantgate.bench.loadgen;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.KeyCertOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The client certificates the load generator presents: every {@code NAME-chain.pem} (leaf + tenant
 * CA, as edge agents send it) under a directory that has a {@code NAME-key.pem} beside it. The
 * tenant is the name of the directory holding the pair ({@code pki/tenants/<slug>/}).
 */
record Identities(List<Identity> list) {

  record Identity(String tenant, String name, Path chain, Path key) {
    /**
     * The pair as an in-memory JKS key store. Vert.x turns PEM key options into a PKCS#12 store whose
     * PBKDF2 key protection costs ~0.4 s of CPU per client; JKS protection is cheap, and with one
     * client per identity that decides how fast the generator starts.
     */
    KeyCertOptions keyCert() {
      try {
        List<Certificate> certs = new ArrayList<>(CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(chain))));
        String pem = Files.readString(key);
        if (!pem.contains("BEGIN PRIVATE KEY")) {
          throw new IllegalArgumentException(key + ": expected a PKCS#8 PEM private key");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").trim());
        PrivateKey pk = KeyFactory.getInstance(certs.get(0).getPublicKey().getAlgorithm())
            .generatePrivate(new PKCS8EncodedKeySpec(der));
        char[] password = "bench".toCharArray();
        KeyStore ks = KeyStore.getInstance("JKS");
        ks.load(null, null);
        ks.setKeyEntry("client", pk, password, certs.toArray(new Certificate[0]));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, password);
        return new JksOptions().setValue(Buffer.buffer(out.toByteArray())).setPassword("bench");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("loading " + chain + " / " + key, e);
      }
    }
  }

  /**
   * Loads up to {@code max} identities (0 = all), interleaving tenants so that the first n of the
   * list span as many tenants as possible.
   */
  static Identities load(Path dir, int max) {
    List<Identity> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      files.filter(p -> p.getFileName().toString().endsWith("-chain.pem"))
          .sorted(Comparator.naturalOrder())
          .forEach(chain -> {
            String name = chain.getFileName().toString().replace("-chain.pem", "");
            Path key = chain.resolveSibling(name + "-key.pem");
            if (Files.exists(key)) {
              found.add(new Identity(chain.getParent().getFileName().toString(), name, chain, key));
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("reading client certificates under " + dir, e);
    }
    if (found.isEmpty()) {
      throw new IllegalArgumentException("no NAME-chain.pem with NAME-key.pem under " + dir);
    }
    // round-robin over tenants: tenant A cert 1, tenant B cert 1, ..., tenant A cert 2, ...
    java.util.Map<String, List<Identity>> byTenant = new java.util.TreeMap<>();
    for (Identity id : found) {
      byTenant.computeIfAbsent(id.tenant(), k -> new ArrayList<>()).add(id);
    }
    List<Identity> ordered = new ArrayList<>();
    for (int i = 0; ordered.size() < found.size(); i++) {
      for (List<Identity> ids : byTenant.values()) {
        if (i < ids.size()) {
          ordered.add(ids.get(i));
        }
      }
    }
    return new Identities(max > 0 && max < ordered.size() ? List.copyOf(ordered.subList(0, max)) : List.copyOf(ordered));
  }

  /** The CA certificates in {@code pem} as an in-memory JKS trust store (cheap to load, see keyCert). */
  static JksOptions trust(Path pem) {
    try {
      KeyStore ks = KeyStore.getInstance("JKS");
      ks.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)))) {
        ks.setCertificateEntry("ca" + i++, c);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ks.store(out, "bench".toCharArray());
      return new JksOptions().setValue(Buffer.buffer(out.toByteArray())).setPassword("bench");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("loading " + pem, e);
    }
  }

  int size() {
    return list.size();
  }

  Identity get(int i) {
    return list.get(i % list.size());
  }

  long tenants(int firstN) {
    return list.subList(0, Math.min(firstN, list.size())).stream().map(Identity::tenant).distinct().count();
  }
}
