package io.herald.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.stream.Stream;

/**
 * CPU time that server processes have used, from /proc/PID/stat (utime + stime, in clock ticks of
 * {@code getconf CLK_TCK}), to compare servers' CPU per delivered version. A process that is gone
 * counts 0, so sample the same processes before and after a phase.
 */
final class ServerCpu {

  private static final long TICK_NANOS = 1_000_000_000L / clockTicks();

  private ServerCpu() {
  }

  /** CPU nanoseconds process {@code pid} has used so far (its threads included), 0 if it is gone. */
  static long nanos(long pid) {
    try {
      return stat(Files.readString(Path.of("/proc/" + pid + "/stat")));
    } catch (IOException | RuntimeException gone) {
      return 0;
    }
  }

  /**
   * CPU nanoseconds the JIT compiler threads (C1 and C2) of JVM {@code pid} have used so far, from
   * /proc/PID/task; 0 if it is gone. A fresh hub's compilers can take a core for seconds.
   */
  static long compilerNanos(long pid) {
    try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      return tasks.filter(t -> {
        try {
          String comm = Files.readString(t.resolve("comm")); // "C1 CompilerThre", "C2 CompilerThre"
          return comm.startsWith("C") && comm.contains("CompilerThre");
        } catch (IOException gone) {
          return false;
        }
      }).mapToLong(t -> {
        try {
          return stat(Files.readString(t.resolve("stat")));
        } catch (IOException | RuntimeException gone) {
          return 0;
        }
      }).sum();
    } catch (IOException | RuntimeException gone) {
      return 0;
    }
  }

  /** Below this share of a core over a while, a JVM's JIT has settled (see {@link JitMeter}). */
  static final double JIT_SETTLED = 0.05;

  /** The share of a core the JIT compiler threads of JVM {@code pid} use, lap after lap. */
  static final class JitMeter {
    private final long pid;
    private long cpuAt;
    private long wallAt;

    JitMeter(long pid) {
      this.pid = pid;
      lap();
    }

    /** The compilers' share of a core since the previous lap (or since this meter was made). */
    double lap() {
      long cpu = compilerNanos(pid);
      long now = System.nanoTime();
      double share = (double) (cpu - cpuAt) / Math.max(1, now - wallAt);
      cpuAt = cpu;
      wallAt = now;
      return share;
    }
  }

  private static long stat(String stat) {
    // comm may hold spaces and parentheses: fields are counted after the last ')'.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS; // fields 14 and 15 of stat
  }

  static long nanos(Collection<Long> pids) {
    return pids.stream().mapToLong(ServerCpu::nanos).sum();
  }

  /** Every process on the machine whose command name is {@code comm} (e.g. all of PostgreSQL's). */
  static java.util.List<Long> byName(String comm) {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .filter(p -> {
            try {
              return Files.readString(p.resolve("comm")).trim().equals(comm);
            } catch (IOException gone) {
              return false;
            }
          })
          .map(p -> Long.parseLong(p.getFileName().toString())).toList();
    } catch (IOException e) {
      return java.util.List.of();
    }
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Long.parseLong(out);
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
