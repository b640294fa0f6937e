package io.herald.hub;

import io.herald.db.TokenStore;
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
  private static final int CACHE_MAX = 10_000;

  private record Cached(TokenStore.TokenRow row, long until) {
  }

  private final byte[] adminToken;
  private final TokenStore tokens;
  private final Map<String, Cached> cache = new HashMap<>();

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
    tokens.find(id).onComplete(ar -> {
      ctx.request().resume();
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      // Unknown ids are remembered too, so a flood of made-up tokens costs one lookup each per 5 s.
      if (cache.size() >= CACHE_MAX) {
        cache.clear();
      }
      cache.put(id, new Cached(ar.result(), System.currentTimeMillis() + CACHE_MS));
      check(ctx, ar.result(), presented);
    });
  }

  /** A revoked token stops working on this event loop at once. */
  void evict(String tokenId) {
    cache.remove(tokenId);
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

  /** {@code hrld_<id>_<secret>} → id; null for anything else. */
  static String tokenId(String token) {
    if (!token.startsWith("hrld_")) {
      return null;
    }
    int end = token.indexOf('_', 5);
    return end <= 5 ? null : token.substring(5, end);
  }

  static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }
}
