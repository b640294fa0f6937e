package io.herald.hub;

import java.util.List;

/**
 * Who is calling: the bootstrap admin token, or a scoped token with a role and namespace patterns
 * (globs: {@code *} any run of characters, {@code ?} one character). What each role may do is in
 * docs/security.md.
 */
record Principal(String name, String role, List<String> namespaces, String tokenId) {

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

  /** Wildcards a namespace pattern may hold: enough for any real naming scheme. */
  static final int MAX_WILDCARDS = 8;

  static Principal of(String name, String role, List<String> namespaces, String tokenId) {
    return new Principal(name, role, List.copyOf(namespaces), tokenId);
  }

  static Principal bootstrapAdmin() {
    return of("admin", "admin", List.of("*"), null);
  }

  /**
   * Glob match without backtracking: {@code *} is any run of characters, {@code ?} one. Only the
   * last {@code *} seen is ever retried, and each retry moves forward, so the cost is at most
   * pattern length times name length (a regex translation of {@code *.*.*.*.*.x} took minutes
   * on a crafted name).
   */
  static boolean globMatches(String pattern, String name) {
    int p = 0;
    int n = 0;
    int star = -1;
    int resume = 0;
    while (n < name.length()) {
      if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == name.charAt(n))) {
        p++;
        n++;
      } else if (p < pattern.length() && pattern.charAt(p) == '*') {
        star = p++;
        resume = n;
      } else if (star >= 0) {
        p = star + 1;
        n = ++resume;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }

  static int wildcards(String pattern) {
    int n = 0;
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '*' || c == '?') {
        n++;
      }
    }
    return n;
  }

  /** Who owns the client rows this token writes: its id, or {@link io.herald.db.ClientRow#ADMIN_OWNER}. */
  String owner() {
    return tokenId == null ? io.herald.db.ClientRow.ADMIN_OWNER : tokenId;
  }

  boolean covers(String namespace) {
    for (String p : namespaces) {
      if (globMatches(p, namespace)) {
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
