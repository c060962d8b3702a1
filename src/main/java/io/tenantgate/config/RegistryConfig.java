package io.tenantgate.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Where tenants, tenant CAs and revocations come from.
 *
 * @param file the registry file ({@code store: file}); null for Postgres
 * @param postgres the database settings ({@code store: postgres}); null for the file store
 * @param masterKeyFile base64 of the 32-byte key that seals tenant CA keys in Postgres; null = the
 *     {@code TENANTGATE_MASTER_KEY} environment variable
 * @param rootCaCertFile the platform root that signs tenant CAs (null = the first certificate of
 *     {@code edge.tls.clientCaFile})
 * @param rootCaKeyFile its key; null = the root stays offline and tenant CAs are requested by CSR
 */
public record RegistryConfig(StoreType store, Path file, Duration pollInterval, PostgresConfig postgres,
    Path masterKeyFile, Path rootCaCertFile, Path rootCaKeyFile) {

  /** The file store. */
  public RegistryConfig(StoreType store, Path file, Duration pollInterval) {
    this(store, file, pollInterval, null, null, null, null);
  }

  /** The store behind the tenant registry. */
  public enum StoreType {
    FILE, POSTGRES;

    static StoreType parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }

  static RegistryConfig parse(Node n, GatewayConfig.Paths paths) {
    StoreType store = n.enumValue("store", StoreType.FILE, StoreType.class, StoreType::parse);
    boolean postgres = store == StoreType.POSTGRES;
    Path file = paths.resolve(postgres ? n.string("file", null) : n.requiredString("file"));
    Duration poll = n.duration("pollInterval", Duration.ofSeconds(1));
    if (poll.toMillis() < 50) {
      n.problem("pollInterval", "must be at least 50ms");
    }
    // read (and so validated and documented) whatever the store, kept only for postgres
    PostgresConfig pg = PostgresConfig.parse(n.child("postgres"), paths);
    Path masterKeyFile = paths.resolve(n.string("masterKeyFile", null));
    Path rootCert = paths.resolve(n.string("rootCaCertFile", null));
    Path rootKey = paths.resolve(n.string("rootCaKeyFile", null));
    n.rejectUnknownKeys();
    return postgres ? new RegistryConfig(store, null, poll, pg, masterKeyFile, rootCert, rootKey)
        : new RegistryConfig(store, file, poll, null, null, rootCert, rootKey);
  }
}
