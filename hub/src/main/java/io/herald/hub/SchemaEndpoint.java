package io.herald.hub;

import io.herald.db.SchemaChange;
import io.herald.db.SchemaStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.List;

/**
 * A namespace's schema (docs/http-api.md, "Schemas"): set, read, remove, and its append-only
 * history. Setting a schema judges the head against it with the head row locked, so no write can
 * slip in between: a violating head refuses the schema (422) unless the request accepts it
 * knowingly ({@code allow_invalid_head}), which the history records with the violations.
 */
final class SchemaEndpoint {

  private static final String SCHEMA = "/v1/namespaces/:ns/schema";
  /** The schema (64 KiB) and its envelope; bigger bodies are a 413 before they are read. */
  static final int MAX_BODY_BYTES = 256 * 1024;

  private final SchemaStore store;
  private final SchemaCheck schemas;
  private final SchemaGate gate;

  SchemaEndpoint(SchemaStore store, SchemaCheck schemas, SchemaGate gate) {
    this.store = store;
    this.schemas = schemas;
    this.gate = gate;
  }

  void addRoutes(Router router) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
    router.get(SCHEMA).handler(Authorize.namespace(Principal.Permission.READ)).handler(this::get);
    router.put(SCHEMA).handler(body).handler(Authorize.namespace(Principal.Permission.WRITE)).handler(this::put);
    router.delete(SCHEMA).handler(Authorize.namespace(Principal.Permission.WRITE)).handler(this::remove);
    router.get(SCHEMA + "/history").handler(Authorize.namespace(Principal.Permission.READ)).handler(this::history);
  }

  private void get(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    store.current(ns)
        .compose(c -> c != null ? Future.succeededFuture(c) : Future.failedFuture(notFound(ns)))
        .onSuccess(c -> {
          ctx.response().putHeader("ETag", NamespaceEndpoint.etag(c.version()));
          ctx.json(payload(c));
        })
        .onFailure(ctx::fail);
  }

  private static ApiException notFound(String ns) {
    return new ApiException(404, "schema_not_found", "namespace '" + ns + "' has no schema");
  }

  private void put(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    JsonObject body = Requests.jsonObjectBody(ctx);
    JsonObject schema = schemas.parse(body.getValue("schema"));
    Object allow = body.getValue("allow_invalid_head", false);
    if (!(allow instanceof Boolean)) {
      throw ApiException.badRequest("invalid_request", "'allow_invalid_head' must be true or false");
    }
    boolean allowInvalid = (Boolean) allow;
    String message = Limits.message(Requests.optionalString(body, "message"));
    String text = schema.encode();
    SchemaCheck.Compiled validator = SchemaCheck.compile(schema);
    store.change(ns, text, allowInvalid, AuthHandler.principal(ctx).name(), message, head -> {
          List<JsonObject> errors = SchemaCheck.violations(validator, head.entries());
          if (errors.isEmpty()) {
            return Future.succeededFuture(null);
          }
          if (!allowInvalid) {
            return Future.failedFuture(new ApiException(422, "schema_violation", "the head of '" + ns + "' (version "
                + head.version() + ") violates this schema; fix the entries first, or send \"allow_invalid_head\": true",
                new JsonObject().put("head", head.version()).put("errors", new JsonArray(errors))));
          }
          return Future.succeededFuture(new JsonArray(errors).encode());
        })
        .onSuccess(c -> {
          gate.schemaSet(ns);
          ctx.response().putHeader("ETag", NamespaceEndpoint.etag(c.version()));
          ctx.json(payload(c));
        })
        .onFailure(ctx::fail);
  }

  private void remove(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    String message = Limits.message(Requests.utf8Header(ctx, "X-Herald-Message"));
    store.change(ns, null, false, AuthHandler.principal(ctx).name(), message, head -> Future.succeededFuture(null))
        .recover(e -> Future.failedFuture(e instanceof io.herald.db.StoreException.NamespaceNotFound ? notFound(ns) : e))
        .onSuccess(c -> ctx.json(payload(c)))
        .onFailure(ctx::fail);
  }

  private void history(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    long before = Requests.longParam(ctx, "before", Long.MAX_VALUE);
    long limit = Requests.longParam(ctx, "limit", (long) Limits.DEFAULT_HISTORY_PAGE);
    if (limit < 1 || limit > Limits.MAX_HISTORY_PAGE) {
      throw ApiException.badRequest("invalid_parameter", "'limit' must be between 1 and " + Limits.MAX_HISTORY_PAGE);
    }
    store.history(ns, before, (int) limit)
        .onSuccess(list -> ctx.json(new JsonObject().put("namespace", ns)
            .put("changes", new JsonArray(list.stream().map(SchemaEndpoint::payload).toList()))))
        .onFailure(ctx::fail);
  }

  static JsonObject payload(SchemaChange c) {
    JsonObject out = new JsonObject().put("namespace", c.namespace()).put("version", c.version())
        .put("schema", c.schema() == null ? null : new JsonObject(c.schema()))
        .put("removed", c.schema() == null)
        .put("at_head", c.atHead()).put("author", c.author()).put("message", c.message())
        .put("created_at", Payloads.time(c.createdAt()));
    if (c.allowInvalidHead()) {
      out.put("allow_invalid_head", true).put("head_violations", new JsonArray(c.headViolations()));
    }
    return out;
  }
}
