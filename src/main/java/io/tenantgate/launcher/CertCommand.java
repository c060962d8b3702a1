package io.tenantgate.launcher;

import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.CertStore;
import io.tenantgate.tenant.RegistryAdmin;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tenantgate cert issue|list|revoke}. */
@Command(name = "cert", mixinStandardHelpOptions = true, description = "Issue, list and revoke component certificates.",
    subcommands = {CertCommand.Issue.class, CertCommand.ListCerts.class, CertCommand.Revoke.class})
final class CertCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = "Issue a component certificate from the tenant's CA into OUTDIR: <id>.pem, <id>-key.pem, <id>-chain.pem.")
  static final class Issue extends AdminCommand {
    @Option(names = "--tenant", required = true, description = "Tenant slug.") String tenant;
    @Option(names = "--component", required = true, description = "Component id, e.g. agent-009.") String component;
    @Option(names = "--partition", description = "Partition id (default: default).") String partition;
    @Option(names = "--type", description = "Component type (default: from the id's prefix, else agent).") String type;
    @Option(names = "--days", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).") int days;
    @Option(names = "--out", required = true, paramLabel = "OUTDIR", description = "Directory for the three PEM files.")
    Path out;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) throws Exception {
      ComponentCertSpec spec = new ComponentCertSpec(component, partition, tenant,
          type == null ? ComponentCertSpec.typeOf(component) : type, admin.trustDomain(), admin.spiffeTrustDomain(), false,
          Duration.ofDays(days), KeyAlgorithm.EC_P256);
      var issued = admin.issueComponent(spec, actor).await();
      var leaf = issued.leaf().certificate();
      Path cert = out.resolve(component + ".pem");
      Path key = out.resolve(component + "-key.pem");
      Path chain = out.resolve(component + "-chain.pem");
      Pem.write(cert, Pem.certificates(leaf), false);
      Pem.write(key, Pem.privateKey(issued.leaf().privateKey()), true);
      Pem.write(chain, Pem.certificates(leaf, issued.tenantCa()), false);
      String serial = Fingerprints.serialHex(leaf.getSerialNumber());
      return Future.succeededFuture(Result.of(new JsonObject().put("serial", serial)
          .put("common_name", spec.commonName()).put("fingerprint_sha256", Fingerprints.sha256Hex(leaf))
          .put("not_after", leaf.getNotAfter().toInstant().toString()).put("certificate", cert.toString())
          .put("key", key.toString()).put("chain", chain.toString()),
          "issued " + spec.commonName() + " serial " + serial + "\n  " + cert + "\n  " + key + "\n  " + chain));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List issued certificates, newest first.")
  static final class ListCerts extends AdminCommand {
    @Option(names = "--tenant", description = "Only this tenant's.") String tenant;
    @Option(names = "--limit", defaultValue = "1000") int limit;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      return admin.listCerts(tenant, limit).map(list -> Result.list("certificates",
          list.stream().map(CertStore.CertView::toJson).toList(),
          c -> String.format("%-34s %-8s %-20s %-24s %s", c.getString("serial"), c.getString("status"),
              c.getString("tenant"), c.getString("component_id"), c.getString("not_after")), "no certificates"));
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke a certificate: every gateway refuses it within a second and closes its connections.")
  static final class Revoke extends AdminCommand {

    static final class Which {
      @Option(names = "--serial", paramLabel = "HEX", required = true) String serial;
      @Option(names = "--fingerprint", paramLabel = "SHA256", required = true) String fingerprint;
    }

    @ArgGroup(exclusive = true, multiplicity = "1") Which which;
    @Option(names = "--reason", defaultValue = "unspecified") String reason;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      Future<Boolean> done = which.serial != null ? admin.revokeSerial(which.serial, reason, actor)
          : admin.revokeFingerprint(which.fingerprint, reason, actor);
      String what = which.serial != null ? "serial " + which.serial : "fingerprint " + which.fingerprint;
      return done.map(changed -> Result.of(new JsonObject().put("revoked", what).put("changed", changed),
          changed ? "revoked " + what : what + " was already revoked"));
    }
  }
}
