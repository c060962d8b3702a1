package io.tenantgate.launcher;

import io.tenantgate.tenant.PackageStore;
import io.tenantgate.tenant.RegistryAdmin;
import io.tenantgate.tenant.StoreException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tenantgate package create|list|revoke}: onboarding packages (Postgres store). */
@Command(name = "package", mixinStandardHelpOptions = true,
    description = "Create, list and revoke onboarding packages (one-time download tokens for edge components).",
    subcommands = {PackageCommand.Create.class, PackageCommand.ListPackages.class, PackageCommand.Revoke.class})
final class PackageCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static PackageStore packages(RegistryAdmin admin) {
    PackageStore p = admin.packages();
    if (p == null) {
      throw new StoreException(StoreException.Kind.CONFLICT, "unsupported_by_store",
          "onboarding packages need the Postgres store (" + admin.describe() + " is not): "
              + "`tenantgate dev --store postgres`, or registry.store: postgres");
    }
    return p;
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a package for one component and print its download token (shown once).")
  static final class Create extends AdminCommand {
    @Option(names = "--tenant", required = true) String tenant;
    @Option(names = "--component", required = true, description = "Component id, e.g. agent-001.") String component;
    @Option(names = "--partition") String partition;
    @Option(names = "--type", description = "Component type (default: from the id's prefix).") String type;
    @Option(names = "--ttl", description = "How long the token stays valid: 30m, 24h, 7d (default: onboarding.packageTtl).")
    String ttl;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      Duration life;
      try {
        life = ttl == null ? null : io.tenantgate.config.Durations.parse(ttl);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--ttl " + e.getMessage());
      }
      PackageStore p = packages(admin);
      return p.create(tenant, component, partition, type, life, actor).map(t -> {
        String url = p.settings().api() + "/api/edge-packages/" + t.pkg().id() + "/bundle";
        return Result.of(t.pkg().toJson().put("token", t.token()).put("download_url", url),
            "package " + t.pkg().id() + " for " + component + " of " + tenant + ", valid until " + t.pkg().expiresAt()
                + "\ntoken (shown once; hand it to the edge):\n  " + t.token()
                + "\ndownload (once):\n  curl -fsS -X POST -H 'x-serviceradar-download-token: <token>' -o "
                + io.tenantgate.pki.EdgePackage.fileName(t.pkg().id()) + " " + url);
      });
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List packages, newest first.")
  static final class ListPackages extends AdminCommand {
    @Option(names = "--tenant") String tenant;
    @Option(names = "--limit", defaultValue = "1000") int limit;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      return packages(admin).list(tenant, limit).map(list -> Result.list("packages",
          list.stream().map(PackageStore.PackageView::toJson).toList(),
          p -> String.format("%s %-10s %-20s %-24s expires %s", p.getString("id"), p.getString("state"),
              p.getString("tenant"), p.getString("component_id"), p.getString("expires_at")), "no packages"));
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke a package: its token stops working and the certificate it produced is revoked.")
  static final class Revoke extends AdminCommand {
    @Option(names = "--id", required = true) String id;
    @Option(names = "--reason", defaultValue = "unspecified") String reason;


    @Override
    Future<Result> run(RegistryAdmin admin, String actor) {
      UUID uuid;
      try {
        uuid = UUID.fromString(id);
      } catch (IllegalArgumentException e) {
        throw new StoreException(StoreException.Kind.INVALID, "--id must be a package UUID, got '" + id + "'");
      }
      return packages(admin).revoke(uuid, reason, actor).map(changed -> Result.of(new JsonObject().put("id", id)
          .put("changed", changed), changed ? "revoked package " + id : "package " + id + " was already revoked or expired"));
    }
  }
}
