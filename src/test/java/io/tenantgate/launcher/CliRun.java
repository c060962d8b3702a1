package io.tenantgate.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * One in-process run of the operator CLI: exit code, stdout, stderr. A gateway in the same JVM logs too,
 * so its console appender is detached while stdout is captured (a real CLI run is its own process, whose
 * log AdminCommand sends to stderr).
 */
record CliRun(int exit, String out, String err) {
  JsonObject json() {
    try {
      return new JsonObject(out);
    } catch (RuntimeException e) {
      throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
    }
  }

  static synchronized CliRun of(String... args) {
    var root = ((ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory())
        .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    var console = root.getAppender("STDOUT");
    if (console != null) {
      root.detachAppender(console);
    }
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = new CommandLine(new Main()).execute(args);
      return new CliRun(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
      if (console != null) {
        root.addAppender(console);
      }
    }
  }

  /** A run that must exit 0. */
  static CliRun ok(String... args) {
    CliRun r = of(args);
    assertEquals(0, r.exit(), String.join(" ", args) + "\nout: " + r.out() + "\nerr: " + r.err());
    return r;
  }
}
