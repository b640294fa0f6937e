package io.herald.hub;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Token namespace patterns")
class GlobMatchingTest {

  @Test
  @DisplayName("* is any run of characters, ? exactly one, everything else itself")
  void semantics() {
    assertTrue(Principal.globMatches("*", ""));
    assertTrue(Principal.globMatches("*", "payments.prod"));
    assertTrue(Principal.globMatches("payments.*", "payments.prod"));
    assertTrue(Principal.globMatches("payments.*", "payments."));
    assertFalse(Principal.globMatches("payments.*", "payments"));
    assertTrue(Principal.globMatches("*.prod", "a.b.prod"));
    assertFalse(Principal.globMatches("*.prod", "a.prod.x"));
    assertTrue(Principal.globMatches("a?c", "abc"));
    assertFalse(Principal.globMatches("a?c", "ac"));
    assertTrue(Principal.globMatches("a*b*c", "aXbYbZc"));
    assertFalse(Principal.globMatches("a*b*c", "aXbYbZ"));
    assertTrue(Principal.globMatches("**x", "yyx"));
    assertTrue(Principal.globMatches("exact", "exact"));
    assertFalse(Principal.globMatches("exact", "exactly"));
    assertFalse(Principal.globMatches("exactly", "exact"));
  }

  @Test
  @DisplayName("patterns made to backtrack answer at once against crafted 128-character names")
  void noCatastrophicBacktracking() {
    String name = "a".repeat(127) + "b";
    String[] patterns = {"*.*.*.*.*.x", "*a*a*a*a*a*a*a*c", "?*?*?*?*?*?*?*c", "a*a*a*a*a*a*a*a"};
    assertTimeoutPreemptively(Duration.ofSeconds(1), () -> {
      for (int i = 0; i < 1_000; i++) {
        for (String p : patterns) {
          assertFalse(Principal.globMatches(p, name));
        }
      }
    });
    assertTrue(Principal.globMatches("*a*a*a*a*a*a*a*b", name));
  }

  @Test
  @DisplayName("wildcards are counted for the cap")
  void wildcards() {
    assertTrue(Principal.wildcards("*.*.?") == 3);
    assertTrue(Principal.wildcards("payments") == 0);
  }
}
