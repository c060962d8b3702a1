package io.tenantgate.launcher;

import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.RegistryAdmin;
import io.tenantgate.tenant.TenantStatus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tenantgate ca rotate|list|import|disable|enable}: tenant CAs and their rotation. */
@Command(name = "ca", mixinStandardHelpOptions = true,
    description = "Rotate, list, import, disable and enable tenant CAs.",
    subcommands = {CaCommand.Rotate.class, CaCommand.ListCas.class, CaCommand.Import.class, CaCommand.Disable.class,
        CaCommand.Enable.class})
final class CaCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true, description = "Start a CA rotation: a new CA joins the "
      + "active one (both accepted), new certificates come from it; `ca disable` on the old one finishes it.")
  static final class Rotate extends AdminCommand {
    @Option(names = "--tenant", required = true) String tenant;
    @Option(names = "--csr-out", paramLabel = "FILE",
        description = "Keep the root offline: write the new CA's CSR here; import the signed cert with `ca import`.")
    Path csrOut;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) throws Exception {
      if (csrOut != null) {
        var p = admin.requestCa(tenant, actor).await();
        Pem.write(csrOut, p.csrPem(), false);
        return Future.succeededFuture(Result.of(new JsonObject().put("tenant", tenant)
            .put("ca_request_spki_sha256", p.spkiSha256()).put("csr_file", csrOut.toString()),
            "CA request for " + tenant + " written to " + csrOut + "; import the signed certificate with `ca import`"));
      }
      return admin.rotateCa(tenant, actor).map(ca -> Result.of(new JsonObject().put("tenant", tenant)
          .put("added", ca.spkiSha256()), "added CA " + ca.spkiSha256() + " to " + tenant
          + "; certificates of both CAs are accepted.\nonce edges have new certificates: tenantgate ca disable --spki OLD"));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List a tenant's CAs, oldest first.")
  static final class ListCas extends AdminCommand {
    @Option(names = "--tenant", required = true) String tenant;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      return admin.listCas(tenant).map(cas -> Result.list("cas", cas.stream().map(c -> new JsonObject()
              .put("spki_sha256", c.spkiSha256()).put("status", c.status().wire()).put("subject", c.subject())
              .put("not_after", java.util.Objects.toString(c.notAfter(), null)).put("key_stored", c.keyStored()))
              .toList(),
          c -> c.getString("not_after") == null
              ? String.format("%s %-8s %s", c.getString("spki_sha256"), c.getString("status"), c.getString("subject"))
              : String.format("%s %-8s until %s%s", c.getString("spki_sha256"), c.getString("status"),
                  c.getString("not_after"), c.getBoolean("key_stored") ? "" : " (key held elsewhere)"), "no CAs"));
    }
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Import the signed certificate for a pending CA request (offline root).")
  static final class Import extends AdminCommand {
    @Option(names = "--tenant", required = true) String tenant;
    @Option(names = "--cert", required = true, paramLabel = "FILE") Path cert;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) throws Exception {
      var certs = Pem.readCertificates(cert);
      if (certs.size() != 1) {
        throw new IllegalArgumentException(cert + " must hold exactly one certificate, found " + certs.size());
      }
      return admin.importCa(tenant, certs.get(0), actor).map(ca -> Result.of(new JsonObject().put("tenant", tenant)
          .put("spki_sha256", ca.spkiSha256()), "imported CA " + ca.spkiSha256() + " for " + tenant + " (active)"));
    }
  }

  @Command(name = "disable", mixinStandardHelpOptions = true,
      description = "Disable a CA: its certificates are refused everywhere within a second (ends a rotation).")
  static final class Disable extends AdminCommand {
    @Option(names = "--spki", required = true, description = "The CA's SPKI SHA-256 (from `ca list`).") String spki;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      return admin.setCaStatus(spki, TenantStatus.DISABLED, actor).map(changed -> Result.of(new JsonObject()
          .put("spki_sha256", spki).put("status", "disabled").put("changed", changed),
          changed ? "disabled CA " + spki : "CA " + spki + " was already disabled"));
    }
  }

  @Command(name = "enable", mixinStandardHelpOptions = true, description = "Re-enable a disabled CA.")
  static final class Enable extends AdminCommand {
    @Option(names = "--spki", required = true) String spki;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      return admin.setCaStatus(spki, TenantStatus.ACTIVE, actor).map(changed -> Result.of(new JsonObject()
          .put("spki_sha256", spki).put("status", "active").put("changed", changed),
          changed ? "enabled CA " + spki : "CA " + spki + " was already active"));
    }
  }
}
