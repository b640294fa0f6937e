package io.herald.hub;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Bearer-token check for every /v1 route. Until scoped tokens exist the admin token is the only
 * token. Browsers cannot set headers on a WebSocket, so the WebSocket route also takes
 * {@code ?access_token=}.
 */
final class AuthHandler implements Handler<RoutingContext> {

  static final String PRINCIPAL = "herald.principal";
  private static final String BEARER = "Bearer ";

  private final byte[] adminToken;

  AuthHandler(String adminToken) {
    this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
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
    if (!MessageDigest.isEqual(adminToken, token.getBytes(StandardCharsets.UTF_8))) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"herald\", error=\"invalid_token\"");
      ctx.fail(new ApiException(401, "unauthorized", "the bearer token is not valid"));
      return;
    }
    ctx.put(PRINCIPAL, "admin");
    ctx.next();
  }

  static String principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }
}
