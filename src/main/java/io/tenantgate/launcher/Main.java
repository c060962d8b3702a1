package io.tenantgate.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tenantgate} command line: one entry point, one subcommand per task. */
@Command(name = "tenantgate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Edge identity gateway for multi-tenant monitoring platforms.",
    subcommands = {DevCommand.class, ServeCommand.class, TenantCommand.class, CertCommand.class, PackageCommand.class,
        CaCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int code = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    // flush the asynchronous access log before the JVM goes
    if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
      ctx.stop();
    }
    System.exit(code);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Version from the jar manifest, or "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"tenantgate " + (v == null ? "dev" : v)};
    }
  }
}
