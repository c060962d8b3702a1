package io.tenantgate.launcher;

import io.tenantgate.tenant.RegistryAdmin;
import io.tenantgate.tenant.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * The shared run of every operator command: open the store named by {@link StoreOptions}, do one
 * thing, print it (text or {@code --json}), close. Exit codes: 0 done, 1 refused or failed (the
 * reason on stderr, or as problem JSON with {@code --json}), 2 bad usage.
 */
abstract class AdminCommand implements Callable<Integer> {
  /** What a command did: the JSON form and the text form of its result. */
  record Result(Object json, String text) {
    static Result of(JsonObject json, String text) {
      return new Result(json, text);
    }

    static Result list(String key, List<JsonObject> rows, Function<JsonObject, String> line, String empty) {
      StringBuilder sb = new StringBuilder();
      rows.forEach(r -> sb.append(line.apply(r)).append('\n'));
      return new Result(new JsonObject().put(key, new JsonArray(List.copyOf(rows))),
          rows.isEmpty() ? empty : sb.toString().stripTrailing());
    }
  }

  /** Where the store is and how to print: every operator command takes the same options. */
  @picocli.CommandLine.Mixin
  StoreOptions store;

  StoreOptions store() {
    return store;
  }

  abstract Future<Result> run(RegistryAdmin admin, String actor) throws Exception;

  @Override
  public final Integer call() {
    Runnable restoreLog = logToStderr();
    try {
      return execute();
    } finally {
      restoreLog.run();
    }
  }

  /**
   * Operator commands print results on stdout (JSON for scripts with --json), so the operational log
   * goes to stderr, at WARN unless TENANTGATE_LOG_LEVEL says otherwise. Returns what undoes it.
   */
  private static Runnable logToStderr() {
    if (!(org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx)) {
      return () -> { };
    }
    ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    var stdout = root.getAppender("STDOUT");
    ch.qos.logback.classic.Level level = root.getLevel();
    var encoder = new ch.qos.logback.classic.encoder.PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0} %msg%n");
    encoder.start();
    var stderr = new ch.qos.logback.core.ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    stderr.setContext(ctx);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    if (stdout != null) {
      root.detachAppender(stdout);
    }
    root.addAppender(stderr);
    if (System.getenv("TENANTGATE_LOG_LEVEL") == null) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
    return () -> {
      root.detachAppender(stderr);
      stderr.stop();
      if (stdout != null) {
        root.addAppender(stdout);
      }
      root.setLevel(level);
    };
  }

  private Integer execute() {
    Vertx vertx = Vertx.vertx();
    RegistryAdmin admin = null;
    try {
      admin = store().open(vertx);
      Result r = run(admin, store().actor()).await();
      System.out.println(store().json ? (r.json() instanceof JsonObject j ? j.encodePrettily() : String.valueOf(r.json()))
          : r.text());
      return 0;
    } catch (StoreException e) {
      return refused(e.reason(), e.getMessage());
    } catch (IllegalArgumentException | IllegalStateException | java.io.IOException e) {
      return refused("invalid_input", e.getMessage());
    } catch (Exception e) {
      return refused("failed", e.toString());
    } finally {
      if (admin != null) {
        admin.close().await();
      }
      vertx.close().await();
    }
  }

  private int refused(String reason, String message) {
    if (store().json) {
      System.out.println(new JsonObject().put("error", reason).put("detail", message).encodePrettily());
    } else {
      System.err.println("tenantgate: " + message + " (" + reason + ")");
    }
    return 1;
  }
}
