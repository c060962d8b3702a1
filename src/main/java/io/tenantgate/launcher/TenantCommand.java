package io.tenantgate.launcher;

import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.RegistryAdmin;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tenantgate tenant create|list|show|suspend|resume|limits}. */
@Command(name = "tenant", mixinStandardHelpOptions = true,
    description = "Create, list, show, suspend and resume tenants; show or set their quota limits.",
    subcommands = {TenantCommand.Create.class, TenantCommand.ListTenants.class, TenantCommand.Show.class,
        TenantCommand.Suspend.class, TenantCommand.Resume.class, TenantLimitsCommand.class})
final class TenantCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static JsonObject json(Tenant t) {
    return new JsonObject().put("id", t.id().toString()).put("slug", t.slug()).put("name", t.name())
        .put("status", t.status().wire());
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a tenant and its intermediate CA (signed by the platform root, or requested by CSR).")
  static final class Create extends AdminCommand {
    @Option(names = "--slug", required = true, description = "Tenant slug: lowercase letters, digits, '-'.") String slug;
    @Option(names = "--name", description = "Display name (default: the slug).") String name;
    @Option(names = "--ca-csr", paramLabel = "FILE",
        description = "Keep the root offline: write a CSR for the tenant CA here; import the signed cert with `ca import`.")
    Path csrOut;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) throws Exception {
      if (csrOut != null) {
        TenantStore.PendingCa p = admin.createTenantWithRequest(slug, name, actor).await();
        Pem.write(csrOut, p.csrPem(), false);
        return Future.succeededFuture(Result.of(json(p.tenant()).put("ca_request_spki_sha256", p.spkiSha256())
            .put("csr_file", csrOut.toString()), "created tenant " + slug + " (" + p.tenant().id() + ") in "
            + admin.describe() + "\nits CA request is in " + csrOut + ": have the platform root sign it, then run"
            + "\n  tenantgate ca import --tenant " + slug + " --cert SIGNED.pem"));
      }
      return admin.createTenant(slug, name, actor).compose(t -> admin.listCas(slug).map(cas -> Result.of(
          json(t).put("ca_spki_sha256", cas.get(0).spkiSha256()),
          "created tenant " + slug + " (" + t.id() + ") with CA " + cas.get(0).spkiSha256() + " in " + admin.describe())));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List tenants.")
  static final class ListTenants extends AdminCommand {


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      return admin.listTenants().map(ts -> Result.list("tenants", ts.stream().map(TenantCommand::json).toList(),
          t -> String.format("%-30s %-10s %s  %s", t.getString("slug"), t.getString("status"), t.getString("id"),
              t.getString("name")), "no tenants"));
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Show a tenant: status, CAs and its quota limits in force (default or override, per field).")
  static final class Show extends AdminCommand {
    @Option(names = "--slug", required = true) String slug;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      return admin.tenant(slug).compose(t -> admin.listCas(slug).map(cas -> {
        JsonObject limits = store.limitDefaults().describe(t.limits());
        JsonObject json = json(t).put("cas", new io.vertx.core.json.JsonArray(cas.stream().map(ca -> new JsonObject()
            .put("spki_sha256", ca.spkiSha256()).put("status", ca.status().wire()).put("not_after",
                java.util.Objects.toString(ca.notAfter(), null))).toList())).put("limits", limits);
        StringBuilder text = new StringBuilder(String.format("tenant %s (%s) %s in %s%n", t.slug(), t.id(),
            t.status().wire(), admin.describe()));
        text.append("name: ").append(t.name()).append('\n');
        cas.forEach(ca -> text.append(ca.notAfter() == null
            ? String.format("ca %s %-9s %s%n", ca.spkiSha256(), ca.status().wire(), ca.subject())
            : String.format("ca %s %-9s until %s%n", ca.spkiSha256(), ca.status().wire(), ca.notAfter())));
        text.append(TenantLimitsCommand.table(limits));
        return Result.of(json, text.toString().stripTrailing());
      }));
    }
  }

  @Command(name = "suspend", mixinStandardHelpOptions = true,
      description = "Suspend a tenant: its connections close on every gateway and new ones are refused.")
  static final class Suspend extends AdminCommand {
    @Option(names = "--slug", required = true) String slug;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      return admin.suspend(slug, actor).map(changed -> Result.of(new JsonObject().put("slug", slug)
          .put("status", "suspended").put("changed", changed), changed ? "suspended " + slug : slug + " was already suspended"));
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a suspended tenant.")
  static final class Resume extends AdminCommand {
    @Option(names = "--slug", required = true) String slug;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      return admin.resume(slug, actor).map(changed -> Result.of(new JsonObject().put("slug", slug)
          .put("status", "active").put("changed", changed), changed ? "resumed " + slug : slug + " was already active"));
    }
  }
}
