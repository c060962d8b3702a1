package io.tenantgate.launcher;

import io.tenantgate.config.ConfigException;
import io.tenantgate.config.GatewayConfig;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tenantgate serve --config FILE}: the production entry point. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the gateway from a configuration file (see conf/tenantgate.yaml).")
final class ServeCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "conf/tenantgate.yaml",
      description = "Configuration file (default: ${DEFAULT-VALUE}).")
  Path config;

  @Override
  public Integer call() {
    GatewayConfig cfg;
    try {
      cfg = GatewayConfig.load(config);
    } catch (ConfigException e) {
      System.err.println(config + ": " + e.getMessage());
      return 2;
    }
    Gateway gw;
    try {
      gw = Gateway.start(cfg).await();
    } catch (Exception e) {
      // await() rethrows checked causes as they are (a missing certificate file is an IOException)
      System.err.println("tenantgate failed to start: " + e);
      return 1;
    }
    System.out.printf("tenantgate serving: edge https://%s:%d  ops http://%s:%d%n", cfg.edge().host(), gw.edgePort(),
        cfg.ops().host(), gw.opsPort());
    return Running.untilSignal(gw, Future::succeededFuture);
  }
}
