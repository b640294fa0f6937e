package io.herald.hub;

import io.herald.db.TokenStore;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;

/**
 * Bearer-token check for every /v1 route: the bootstrap admin token from the environment, or a
 * scoped token from the database (looked up once, then cached on this event loop for a few
 * seconds; a revocation evicts it at once). Browsers cannot set headers on a WebSocket, so the
 * WebSocket route also takes {@code ?access_token=}.
 */
final class AuthHandler implements Handler<RoutingContext> {

  static final String PRINCIPAL = "herald.principal";
  private static final String BEARER = "Bearer ";
  private static final long CACHE_MS = 5_000;
  /** The lookup cache's bound, by the bytes of what it holds (about 12,000 made-up ids). */
  static final long CACHE_MAX_BYTES = 2L * 1024 * 1024;
  /** Ids the hub hands out are 8 characters; anything else is refused without a lookup. */
  static final java.util.regex.Pattern TOKEN_ID = java.util.regex.Pattern.compile("[A-Za-z0-9]{1,16}");
  /** Longer than any token the hub issues: refused before hashing or looking anything up. */
  static final int MAX_TOKEN_CHARS = 256;

  private record Cached(TokenStore.TokenRow row, long until, long bytes) {
  }

  private final byte[] adminToken;
  private final TokenStore tokens;
  private final Map<String, Cached> cache = new HashMap<>();
  /** Lookups under way, by token id (at most one each). */
  private final Map<String, Future<TokenStore.TokenRow>> lookups = new HashMap<>();
  private long cacheBytes;

  AuthHandler(String adminToken, TokenStore tokens) {
    this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
    this.tokens = tokens;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String token = null;
    String header = ctx.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      token = header.substring(BEARER.length()).trim();
    } else if (header == null && ctx.request().path().equals("/v1/ws")) {
      token = ctx.request().getParam("access_token");
    }
    if (token == null || token.isEmpty()) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"herald\"");
      ctx.fail(new ApiException(401, "unauthorized", "missing bearer token: send 'Authorization: Bearer <token>'"));
      return;
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      refuse(ctx);
      return;
    }
    if (MessageDigest.isEqual(adminToken, token.getBytes(StandardCharsets.UTF_8))) {
      accept(ctx, Principal.bootstrapAdmin());
      return;
    }
    String id = tokenId(token);
    if (id == null) {
      refuse(ctx);
      return;
    }
    Cached cached = cache.get(id);
    if (cached != null && cached.until > System.currentTimeMillis()) {
      check(ctx, cached.row, token);
      return;
    }
    String presented = token;
    ctx.request().pause(); // the body must wait for the lookup, or the body handler would miss it
    lookup(id).onComplete(ar -> {
      ctx.request().resume();
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      check(ctx, ar.result(), presented);
    });
  }

  /**
   * One database lookup per token id at a time on this event loop: after a restart thousands of
   * clients of a few tokens reconnect within a second, and the ones that come while the first
   * lookup is under way wait for it instead of each querying.
   */
  private Future<TokenStore.TokenRow> lookup(String id) {
    Future<TokenStore.TokenRow> pending = lookups.get(id);
    if (pending != null) {
      return pending;
    }
    Future<TokenStore.TokenRow> found = tokens.find(id);
    lookups.put(id, found);
    return found.andThen(ar -> {
      lookups.remove(id, found);
      if (ar.succeeded()) {
        remember(id, ar.result());
      }
    });
  }

  /**
   * Unknown ids are remembered too, so a flood of made-up tokens costs one lookup per id per 5 s.
   * The cache is bounded by its size in bytes: when full, expired entries go, then everything.
   */
  private void remember(String id, TokenStore.TokenRow row) {
    Cached old = cache.remove(id);
    if (old != null) {
      cacheBytes -= old.bytes;
    }
    long bytes = sizeOf(id, row);
    if (cacheBytes + bytes > CACHE_MAX_BYTES) {
      long now = System.currentTimeMillis();
      cache.values().removeIf(c -> c.until <= now);
      cacheBytes = cache.values().stream().mapToLong(Cached::bytes).sum();
      if (cacheBytes + bytes > CACHE_MAX_BYTES) {
        cache.clear();
        cacheBytes = 0;
      }
    }
    cache.put(id, new Cached(row, System.currentTimeMillis() + CACHE_MS, bytes));
    cacheBytes += bytes;
  }

  /** A generous estimate of an entry's heap: map node, record, strings (2 bytes a char). */
  static long sizeOf(String id, TokenStore.TokenRow row) {
    long bytes = 128 + 2L * id.length();
    if (row != null) {
      bytes += 256 + 2L * row.name().length() + row.secretHash().length;
      for (String ns : row.namespaces()) {
        bytes += 48 + 2L * ns.length();
      }
    }
    return bytes;
  }

  long cacheBytes() {
    return cacheBytes;
  }

  /** A revoked token stops working on this event loop at once. */
  void evict(String tokenId) {
    Cached old = cache.remove(tokenId);
    if (old != null) {
      cacheBytes -= old.bytes;
    }
  }

  private void check(RoutingContext ctx, TokenStore.TokenRow row, String token) {
    if (row == null || row.revoked() || !TokenStore.matches(row, token)) {
      refuse(ctx);
      return;
    }
    accept(ctx, Principal.of(row.name(), row.role(), row.namespaces(), row.id()));
  }

  private static void accept(RoutingContext ctx, Principal p) {
    ctx.put(PRINCIPAL, p);
    ctx.next();
  }

  private static void refuse(RoutingContext ctx) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"herald\", error=\"invalid_token\"");
    ctx.fail(new ApiException(401, "unauthorized", "the bearer token is not valid"));
  }

  /** {@code hrld_<id>_<secret>} → id; null for anything else, including ids the hub never issues. */
  static String tokenId(String token) {
    if (!token.startsWith("hrld_")) {
      return null;
    }
    int end = token.indexOf('_', 5);
    if (end <= 5) {
      return null;
    }
    String id = token.substring(5, end);
    return TOKEN_ID.matcher(id).matches() ? id : null;
  }

  static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }
}
