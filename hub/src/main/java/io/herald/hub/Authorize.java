package io.herald.hub;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Authorization as route handlers: placed in a route's chain before its action, they let the
 * request through only when the caller's token may do that, and fail it with 403 otherwise. The
 * namespace in the path is checked first, so a malformed one is a 400 before any 403.
 */
final class Authorize {

  private Authorize() {
  }

  /** The token may do {@code permission} on the namespace named in the path ({@code :ns}). */
  static Handler<RoutingContext> namespace(Principal.Permission permission) {
    return ctx -> {
      AuthHandler.principal(ctx).require(permission, NamespaceEndpoint.namespace(ctx));
      ctx.next();
    };
  }

  /** The token manages tokens: an admin over every namespace. */
  static Handler<RoutingContext> admin() {
    return ctx -> {
      AuthHandler.principal(ctx).require(Principal.Permission.ADMIN, null);
      ctx.next();
    };
  }
}
