package io.herald.hub;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs scripts/readme-tour.sh, which takes the tour's commands from README.md, runs them against
 * the packaged jar on a fresh database and checks every answer: the README's tour stays true.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@DisplayName("The README's 30-second tour against the real jar")
class ReadmeTourIT {

  @Test
  @DisplayName("every command of the tour answers what the README says it does")
  void tour() throws Exception {
    Path jar = HubNode.jar("target/herald-hub.jar").toAbsolutePath();
    Path root = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent(); // failsafe runs in hub/
    Process script = new ProcessBuilder("bash", root.resolve("scripts/readme-tour.sh").toString(), jar.toString())
        .directory(root.toFile())
        .redirectErrorStream(true)
        .start();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> {
      try {
        script.getInputStream().transferTo(output);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, "readme-tour-output");
    reader.start();
    boolean ended = script.waitFor(150, TimeUnit.SECONDS);
    if (!ended) {
      script.destroy(); // SIGTERM: the script still stops its hub and drops its database
      if (!script.waitFor(30, TimeUnit.SECONDS)) {
        script.destroyForcibly().waitFor();
      }
    }
    reader.join(10_000);
    String out = output.toString(StandardCharsets.UTF_8);
    System.out.println(out);
    assertTrue(ended, "scripts/readme-tour.sh did not finish within 150 s:\n" + out);
    assertEquals(0, script.exitValue(), "scripts/readme-tour.sh failed:\n" + out);
    assertTrue(out.contains("PASS README tour"), out);
  }
}
