package io.tenantgate.bench.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * CPU time and memory of server processes, read from {@code /proc}: utime + stime of a process
 * and all its descendants (nginx: master + workers; java: one process, all threads).
 */
final class ProcStat {
  private static final double TICKS_PER_SECOND = clockTicks();

  private ProcStat() {
  }

  /** CPU seconds (user + system) used so far by {@code pid} and its descendants; -1 when unknown. */
  static double cpuSeconds(long pid) {
    double[] us = userSystemSeconds(pid);
    return us[0] < 0 ? -1 : us[0] + us[1];
  }

  /** {user, system} CPU seconds of {@code pid} and its descendants; {-1, -1} when unknown. */
  static double[] userSystemSeconds(long pid) {
    if (pid <= 0) {
      return new double[] {-1, -1};
    }
    long user = 0;
    long system = 0;
    for (long p : tree(pid)) {
      long[] t = ownTicks(p);
      user += t[0];
      system += t[1];
    }
    return new double[] {user / TICKS_PER_SECOND, system / TICKS_PER_SECOND};
  }

  /** Resident set size in bytes of {@code pid} and its descendants. */
  static long rssBytes(long pid) {
    long total = 0;
    for (long p : tree(pid)) {
      total += statusKib(p, "VmRSS:") * 1024;
    }
    return total;
  }

  static long selfPid() {
    return ProcessHandle.current().pid();
  }

  static Set<Long> tree(long pid) {
    Set<Long> out = new LinkedHashSet<>();
    List<Long> todo = new ArrayList<>(List.of(pid));
    while (!todo.isEmpty()) {
      long p = todo.remove(todo.size() - 1);
      if (!out.add(p)) {
        continue;
      }
      try (var tasks = Files.list(Path.of("/proc", Long.toString(p), "task"))) {
        for (Path task : (Iterable<Path>) tasks::iterator) {
          Path children = task.resolve("children");
          if (Files.exists(children)) {
            for (String c : Files.readString(children).trim().split("\\s+")) {
              if (!c.isEmpty()) {
                todo.add(Long.parseLong(c));
              }
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        // the process is gone or /proc is not readable: count what we have
      }
    }
    return out;
  }

  private static long[] ownTicks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // the command name (field 2) may hold spaces: fields are counted after its closing ')'
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])}; // fields 14 utime, 15 stime
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  private static long statusKib(long pid, String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return 0;
  }

  private static double clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Double.parseDouble(out);
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
