package io.herald.hub;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a token may do: its namespace patterns and its role (docs/security.md). */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
@DisplayName("A token's namespace patterns and role")
class PrincipalTest {

  private static boolean covers(String pattern, String namespace) {
    return Principal.of("t", "reader", List.of(pattern), "id").covers(namespace);
  }

  @Test
  @DisplayName("* stands for any run of characters, the empty run included")
  void star() {
    assertTrue(covers("*", "payments.prod"));
    assertTrue(covers("payments.*", "payments.prod"));
    assertTrue(covers("payments.*", "payments.prod.eu"));
    assertTrue(covers("payments.*", "payments."));
    assertFalse(covers("payments.*", "payments"));
    assertFalse(covers("payments.*", "old-payments.prod"));
    assertTrue(covers("*.prod", "a.prod"));
    assertFalse(covers("*.prod", "a.prod.eu"));
    assertTrue(covers("a*b*c", "abc"));
    assertTrue(covers("a*b*c", "a-x-b-y-c"));
    assertTrue(covers("a*b*c", "abcbc"));
    assertFalse(covers("a*b*c", "acb"));
    assertTrue(covers("**", "x"));
  }

  @Test
  @DisplayName("? stands for exactly one character")
  void question() {
    assertTrue(covers("svc-?", "svc-a"));
    assertFalse(covers("svc-?", "svc-"));
    assertFalse(covers("svc-?", "svc-ab"));
    assertTrue(covers("??", "ab"));
    assertTrue(covers("?*", "a"));
    assertFalse(covers("?*", ""));
  }

  @Test
  @DisplayName("everything else matches itself only, over the whole name")
  void literal() {
    assertTrue(covers("a.b", "a.b"));
    assertFalse(covers("a.b", "axb"), "a dot is a dot, not any character");
    assertFalse(covers("pay", "payments"), "the whole name must match");
    assertFalse(covers("payments", "pay"));
    assertTrue(covers("a_b-c", "a_b-c"));
  }

  @Test
  @DisplayName("a token with several patterns covers what any of them covers")
  void severalPatterns() {
    Principal p = Principal.of("t", "reader", List.of("payments.*", "shared"), "id");
    assertTrue(p.covers("payments.prod"));
    assertTrue(p.covers("shared"));
    assertFalse(p.covers("orders.prod"));
  }

  @Test
  @DisplayName("clients follow; readers also read and see rollouts; writers also write; admins over * manage tokens")
  void roles() {
    String ns = "payments.prod";
    Principal client = Principal.of("c", "client", List.of("payments.*"), "1");
    Principal reader = Principal.of("r", "reader", List.of("payments.*"), "2");
    Principal writer = Principal.of("w", "writer", List.of("payments.*"), "3");
    Principal scopedAdmin = Principal.of("a", "admin", List.of("payments.*"), "4");
    assertEquals(List.of(true, false, false, false), may(client, ns));
    assertEquals(List.of(true, true, true, false), may(reader, ns));
    assertEquals(List.of(true, true, true, true), may(writer, ns));
    assertEquals(List.of(true, true, true, true), may(scopedAdmin, ns));
    assertEquals(List.of(false, false, false, false), may(writer, "orders.prod"), "outside its patterns: nothing");
    assertFalse(writer.may(Principal.Permission.ADMIN, null));
    assertFalse(scopedAdmin.may(Principal.Permission.ADMIN, null), "managing tokens takes an admin over every namespace");
    assertTrue(Principal.bootstrapAdmin().may(Principal.Permission.ADMIN, null));
    assertTrue(Principal.bootstrapAdmin().may(Principal.Permission.WRITE, "anything"));
  }

  private static List<Boolean> may(Principal p, String ns) {
    return List.of(p.may(Principal.Permission.FOLLOW, ns), p.may(Principal.Permission.READ, ns),
        p.may(Principal.Permission.ROLLOUT, ns), p.may(Principal.Permission.WRITE, ns));
  }

  @Test
  @DisplayName("a refusal is a 403 saying which token, role, action and namespace")
  void refusal() {
    Principal reader = Principal.of("ci", "reader", List.of("payments.*"), "2");
    ApiException e = assertThrows(ApiException.class, () -> reader.require(Principal.Permission.WRITE, "payments.prod"));
    assertEquals(403, e.status());
    assertEquals("forbidden", e.code());
    assertEquals("token 'ci' (role reader) may not write namespace 'payments.prod'", e.getMessage());
    ApiException admin = assertThrows(ApiException.class, () -> reader.require(Principal.Permission.ADMIN, null));
    assertEquals("token 'ci' (role reader) may not admin", admin.getMessage());
  }
}
