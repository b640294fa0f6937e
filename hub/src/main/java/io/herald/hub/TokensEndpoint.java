package io.herald.hub;

import io.herald.db.StoreException;
import io.herald.db.TokenStore;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Scoped tokens for admins: create (the token is shown once), list (never the token), revoke
 * (takes effect on every node within moments, open WebSockets included), and the audit log.
 */
final class TokensEndpoint {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}");
  private static final Pattern NAMESPACE_GLOB = Pattern.compile("[a-z0-9.*?_-]{1,128}");

  private final Vertx vertx;
  private final TokenStore tokens;

  TokensEndpoint(Vertx vertx, TokenStore tokens) {
    this.vertx = vertx;
    this.tokens = tokens;
  }

  void addRoutes(Router router) {
    Handler<RoutingContext> admin = Authorize.admin();
    router.post("/v1/tokens").handler(BodyHandler.create(false).setBodyLimit(64 * 1024)).handler(admin).handler(this::create);
    router.get("/v1/tokens").handler(admin).handler(this::list);
    router.delete("/v1/tokens/:id").handler(admin).handler(this::revoke);
    router.get("/v1/audit").handler(admin).handler(this::audit);
  }

  private void create(RoutingContext ctx) {
    Principal who = AuthHandler.principal(ctx);
    JsonObject body = Requests.jsonObjectBody(ctx);
    if (!(body.getValue("name") instanceof String name) || !NAME.matcher(name).matches()) {
      throw ApiException.badRequest("invalid_request", "'name' must match [A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}");
    }
    if (name.equalsIgnoreCase(Principal.bootstrapAdmin().name())) {
      // Revisions and the audit log name the bootstrap token "admin": no other token may look like it.
      throw ApiException.badRequest("reserved_name", "the token name '" + name + "' is reserved for the bootstrap admin token");
    }
    if (!(body.getValue("role") instanceof String role) || !Principal.ROLES.contains(role)) {
      throw ApiException.badRequest("invalid_request", "'role' must be one of " + Principal.ROLES);
    }
    if (!(body.getValue("namespaces") instanceof JsonArray globs) || globs.isEmpty() || globs.size() > 64) {
      throw ApiException.badRequest("invalid_request", "'namespaces' must be a list of 1 to 64 patterns such as \"payments.*\"");
    }
    List<String> patterns = new ArrayList<>();
    for (Object g : globs) {
      if (!(g instanceof String s) || !NAMESPACE_GLOB.matcher(s).matches()) {
        throw ApiException.badRequest("invalid_request", "namespace patterns use [a-z0-9._-] and the wildcards * and ?");
      }
      if (Principal.wildcards(s) > Principal.MAX_WILDCARDS) {
        throw ApiException.badRequest("invalid_request", "a namespace pattern holds at most " + Principal.MAX_WILDCARDS
            + " wildcards (* or ?), got " + Limits.quoteShort(s));
      }
      patterns.add(s);
    }
    tokens.create(name, role, patterns, who.name())
        .onSuccess(created -> {
          ctx.response().setStatusCode(201);
          ctx.json(describe(created.row()).put("token", created.token()));
        })
        .onFailure(e -> ctx.fail(e instanceof StoreException.Duplicate
            ? new ApiException(409, "name_taken", "a token named '" + name + "' exists already") : e));
  }

  private void list(RoutingContext ctx) {
    tokens.list()
        .map(rows -> new JsonObject().put("tokens", new JsonArray(rows.stream().map(TokensEndpoint::describe).toList())))
        .onSuccess(ctx::json).onFailure(ctx::fail);
  }

  private void revoke(RoutingContext ctx) {
    Principal who = AuthHandler.principal(ctx);
    String id = ctx.pathParam("id");
    tokens.revoke(id, who.name()).onSuccess(done -> {
      if (!done) {
        ctx.fail(new ApiException(404, "token_not_found", "no active token with id '" + Limits.quoteShort(id) + "'"));
        return;
      }
      vertx.eventBus().publish(Addresses.TOKEN_REVOKED, id); // every node: forget it and close its WebSockets
      ctx.json(new JsonObject().put("id", id).put("revoked", true));
    }).onFailure(ctx::fail);
  }

  private void audit(RoutingContext ctx) {
    long limit = Requests.longParam(ctx, "limit", 100L);
    if (limit < 1 || limit > 1_000) {
      throw ApiException.badRequest("invalid_parameter", "'limit' must be between 1 and 1000");
    }
    tokens.auditLog((int) limit)
        .map(entries -> new JsonObject().put("entries", new JsonArray(new ArrayList<>(entries))))
        .onSuccess(ctx::json).onFailure(ctx::fail);
  }

  private static JsonObject describe(TokenStore.TokenRow r) {
    JsonObject o = new JsonObject().put("id", r.id()).put("name", r.name()).put("role", r.role())
        .put("namespaces", new JsonArray(r.namespaces())).put("created_at", Payloads.time(r.createdAt()))
        .put("created_by", r.createdBy());
    if (r.revoked()) {
      o.put("revoked_at", Payloads.time(r.revokedAt())).put("revoked_by", r.revokedBy());
    }
    return o;
  }
}
