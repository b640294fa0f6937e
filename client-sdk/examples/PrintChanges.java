import io.herald.client.ConfigView;
import io.herald.client.HeraldClient;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Prints a namespace, then every change as it arrives. Run with print-changes.sh:
 *   client-sdk/examples/print-changes.sh http://127.0.0.1:8080 "$TOKEN" payments.prod
 */
public class PrintChanges {

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: PrintChanges HUB_URL[,HUB_URL...] TOKEN NAMESPACE");
      System.exit(2);
    }
    HeraldClient client = HeraldClient.builder()
        .endpoints(args[0].split(","))
        .token(args[1])
        .label("app", "print-changes")
        .cacheDir(Path.of(System.getProperty("java.io.tmpdir"), "herald-print-changes"))
        .build();
    Runtime.getRuntime().addShutdownHook(new Thread(client::close));
    ConfigView config = client.subscribe(args[2]);
    config.addListener(change -> {
      System.out.printf("version %d -> %d%n", change.fromVersion(), change.toVersion());
      change.changes().forEach((key, c) -> System.out.printf("  %-30s %s -> %s%n", key,
          c.existedBefore() ? c.oldValue() : "(absent)", c.existsAfter() ? c.newValue() : "(removed)"));
    });
    switch (config.awaitInitialOutcome(Duration.ofSeconds(10))) {
      case READY -> System.out.printf("%s at version %d%s: %s%n", args[2], config.version(),
          config.fromCache() ? " (from the local cache)" : "", config.asMap());
      case AUTHENTICATION_FAILED -> System.out.println("the hub refused the token; still trying...");
      case UNREACHABLE -> System.out.println("no hub answered within 10 s and nothing is cached; still trying...");
      default -> System.out.println("nothing yet: " + client.status());
    }
    Thread.currentThread().join();
  }
}
