package io.herald.hub;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Who is calling: the bootstrap admin token, or a scoped token with a role and namespace patterns
 * (globs: {@code *} any run of characters, {@code ?} one character). What each role may do is in
 * docs/security.md.
 */
record Principal(String name, String role, List<String> namespaces, String tokenId, List<Pattern> compiled) {

  enum Permission {
    /** Snapshots, entries, history, revisions, diffs. */
    READ,
    /** Subscribe and ack over WebSocket, and the /watch long poll: what a client needs. */
    FOLLOW,
    /** Who runs what: /clients, /acks and rollout watches. */
    ROLLOUT,
    /** Revisions, entry writes and rollbacks. */
    WRITE,
    /** Tokens and the audit log. */
    ADMIN
  }

  static final List<String> ROLES = List.of("admin", "writer", "reader", "client");

  static Principal of(String name, String role, List<String> namespaces, String tokenId) {
    return new Principal(name, role, List.copyOf(namespaces), tokenId,
        namespaces.stream().map(Principal::glob).toList());
  }

  static Principal bootstrapAdmin() {
    return of("admin", "admin", List.of("*"), null);
  }

  static Pattern glob(String pattern) {
    StringBuilder re = new StringBuilder();
    for (char c : pattern.toCharArray()) {
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }

  boolean covers(String namespace) {
    for (Pattern p : compiled) {
      if (p.matcher(namespace).matches()) {
        return true;
      }
    }
    return false;
  }

  boolean may(Permission permission) {
    return switch (permission) {
      case FOLLOW -> true;
      case READ, ROLLOUT -> !role.equals("client");
      case WRITE -> role.equals("writer") || role.equals("admin");
      // Managing tokens grants every namespace, so it takes an admin over every namespace.
      case ADMIN -> role.equals("admin") && namespaces.contains("*");
    };
  }

  boolean may(Permission permission, String namespace) {
    return may(permission) && (permission == Permission.ADMIN || covers(namespace));
  }

  /** Throws 403 unless this principal may do {@code permission} on {@code namespace}. */
  void require(Permission permission, String namespace) {
    if (!may(permission, namespace)) {
      throw new ApiException(403, "forbidden", "token '" + name + "' (role " + role + ") may not "
          + permission.name().toLowerCase() + (namespace == null ? "" : " namespace '" + namespace + "'"));
    }
  }
}
