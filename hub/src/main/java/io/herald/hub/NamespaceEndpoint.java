package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.ConfigStore;
import io.herald.db.Revision;
import io.herald.db.Snapshot;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.List;

/**
 * Namespaces, revisions, entries, history, diff and rollback (docs/http-api.md). Every write is
 * one store transaction; once committed, the revision is handed to {@code committed} for push.
 */
final class NamespaceEndpoint {

  private static final String NS = "/v1/namespaces/:ns";

  private final ConfigStore store;
  private final Committed committed;
  private final TokenLimits limits;
  private final HttpClientEndpoint httpClients;

  /** Publishes a committed revision; {@code changesText} is null for a rollback (its changes come from the database). */
  interface Committed {
    void published(Revision r, String changesText);
  }

  /** Every write and rollback goes through it: one path, group-committed under load. */
  private final WriteBatcher writes;

  /** Writes under a rollout plan start a rollout; writes during one are refused (RolloutControl#write). */
  private final RolloutControl rollouts;

  NamespaceEndpoint(ConfigStore store, WriteBatcher writes, Committed committed, TokenLimits limits,
                    HttpClientEndpoint httpClients, RolloutControl rollouts) {
    this.rollouts = rollouts;
    this.writes = writes;
    this.store = store;
    this.committed = committed;
    this.limits = limits;
    this.httpClients = httpClients;
  }

  void addRoutes(Router router) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(Limits.MAX_REVISION_BYTES);
    Handler<RoutingContext> read = Authorize.namespace(Principal.Permission.READ);
    Handler<RoutingContext> write = Authorize.namespace(Principal.Permission.WRITE);
    // Bodies are JSON: refuse forms before the body handler would start decoding them.
    router.route(NS + "/*").handler(NamespaceEndpoint::refuseForms);
    router.get("/v1/namespaces").handler(this::list);
    router.get(NS).handler(read).handler(this::snapshot);
    router.post(NS + "/revisions").handler(body).handler(write).handler(this::rateLimit).handler(this::appendRevision);
    router.get(NS + "/revisions").handler(read).handler(this::history);
    router.get(NS + "/revisions/:version").handler(read).handler(this::oneRevision);
    router.get(NS + "/entries/*").handler(read).handler(this::getEntry);
    router.put(NS + "/entries/*").handler(body).handler(write).handler(this::rateLimit).handler(this::putEntry);
    router.delete(NS + "/entries/*").handler(write).handler(this::rateLimit).handler(this::deleteEntry);
    router.get(NS + "/diff").handler(read).handler(this::diff);
    router.post(NS + "/rollback").handler(body).handler(write).handler(this::rateLimit).handler(this::rollback);
  }

  /** The token's write rate: a route handler in front of every write. */
  private void rateLimit(RoutingContext ctx) {
    long retryAfter = limits.acquireWrite(AuthHandler.principal(ctx));
    if (retryAfter > 0) {
      ctx.response().putHeader("Retry-After", Long.toString(retryAfter));
      throw new ApiException(429, "rate_limited", "this token's write rate limit is reached; retry in "
          + retryAfter + " s");
    }
    ctx.next();
  }

  private static void refuseForms(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && (type.regionMatches(true, 0, "multipart/", 0, 10)
        || type.regionMatches(true, 0, "application/x-www-form-urlencoded", 0, 33))) {
      ctx.fail(new ApiException(415, "unsupported_media_type", "send the body as JSON (application/json)"));
      return;
    }
    ctx.next();
  }

  static String namespace(RoutingContext ctx) {
    return Limits.namespace(ctx.pathParam("ns"));
  }

  private static String entryKey(RoutingContext ctx) {
    return Limits.key(ctx.pathParam("*"));
  }

  private void list(RoutingContext ctx) {
    Principal who = AuthHandler.principal(ctx);
    store.listNamespaces()
        .map(list -> new JsonObject().put("namespaces", new JsonArray(list.stream()
            .filter(n -> who.covers(n.name())).map(Payloads::namespace).toList())))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private Future<Snapshot> snapshotFor(RoutingContext ctx, String ns) {
    Long version = Requests.longParam(ctx, "version", null);
    return version == null ? store.snapshot(ns) : store.snapshot(ns, version);
  }

  /**
   * The snapshot with its version as ETag and its content digest (docs/protocol.md) in the body and
   * in {@code X-Herald-Digest}. A reader that holds the head ({@code If-None-Match} without
   * {@code ?version=}) costs one read of the head and gets 304. With {@code client_id} the pull
   * shows in {@code /clients} as an HTTP client.
   */
  private void snapshot(RoutingContext ctx) {
    String ns = namespace(ctx);
    Long version = Requests.longParam(ctx, "version", null);
    String clientId = HttpClientEndpoint.pullClientId(ctx);
    String ifNoneMatch = ctx.request().getHeader("If-None-Match");
    RolloutState rollout = rollouts.registry.active(ns);
    if (rollout != null && version == null) {
      rolloutSnapshot(ctx, ns, clientId, rollout, ifNoneMatch);
      return;
    }
    Future<Long> unchanged = ifNoneMatch != null && version == null
        ? store.head(ns).map(head -> etag(head).equals(ifNoneMatch) ? head : null)
        : Future.succeededFuture(null);
    unchanged
        .compose(head -> head != null ? Future.succeededFuture((Snapshot) null)
            : version == null ? store.snapshot(ns) : store.snapshot(ns, version))
        .onSuccess(s -> {
          httpClients.pulled(ctx, ns, clientId);
          if (s == null) {
            ctx.response().setStatusCode(304).putHeader("ETag", ifNoneMatch).end();
            return;
          }
          String etag = etag(s.version());
          ctx.response().putHeader("ETag", etag);
          if (etag.equals(ifNoneMatch)) {
            ctx.response().setStatusCode(304).end();
            return;
          }
          String digest = ContentDigest.of(s.entries());
          ctx.response().putHeader("X-Herald-Digest", digest);
          ctx.json(Payloads.snapshot(s).put("digest", digest));
        })
        .onFailure(ctx::fail);
  }

  /**
   * The snapshot while a rollout runs: with {@code client_id}, the version that client's step
   * gives it (stable or staged); without, the head. Either way {@code rollout} says so.
   */
  private void rolloutSnapshot(RoutingContext ctx, String ns, String clientId, RolloutState r, String ifNoneMatch) {
    rollouts.limitFor(ns, clientId)
        .compose(limit -> limit == Long.MAX_VALUE ? store.snapshot(ns) : store.snapshot(ns, limit))
        .onSuccess(s -> {
          httpClients.pulled(ctx, ns, clientId);
          String etag = etag(s.version());
          ctx.response().putHeader("ETag", etag);
          if (etag.equals(ifNoneMatch)) {
            ctx.response().setStatusCode(304).end();
            return;
          }
          String digest = ContentDigest.of(s.entries());
          ctx.response().putHeader("X-Herald-Digest", digest);
          ctx.json(Payloads.snapshot(s).put("digest", digest).put("rollout", RolloutsEndpoint.summary(r)));
        })
        .onFailure(ctx::fail);
  }

  private void getEntry(RoutingContext ctx) {
    String ns = namespace(ctx);
    String key = entryKey(ctx);
    snapshotFor(ctx, ns)
        .onSuccess(s -> {
          if (!s.entries().containsKey(key)) {
            ctx.fail(new ApiException(404, "key_not_found",
                "namespace '" + ns + "' has no key '" + key + "' at version " + s.version()));
            return;
          }
          ctx.response().putHeader("ETag", etag(s.version()));
          ctx.json(new JsonObject().put("namespace", ns).put("version", s.version()).put("key", key)
              .put("value", s.entries().get(key)));
        })
        .onFailure(ctx::fail);
  }

  private void appendRevision(RoutingContext ctx) {
    String ns = namespace(ctx);
    JsonObject body = Requests.jsonObjectBody(ctx);
    List<Change> changes = Requests.changes(body);
    String message = Limits.message(Requests.optionalString(body, "message"));
    Long expected = Requests.optionalVersion(body, "expected_version");
    if (expected == null) {
      expected = Requests.ifMatch(ctx);
    }
    append(ctx, ns, changes, expected, message, 201, body.getValue("rollout"));
  }

  private void putEntry(RoutingContext ctx) {
    String ns = namespace(ctx);
    String key = entryKey(ctx);
    Object value = Requests.jsonBody(ctx);
    Limits.value(key, value);
    String message = Limits.message(Requests.utf8Header(ctx, "X-Herald-Message"));
    append(ctx, ns, List.of(Change.put(key, value)), Requests.ifMatch(ctx), message, 200, RolloutsEndpoint.headerPlan(ctx));
  }

  private void deleteEntry(RoutingContext ctx) {
    String ns = namespace(ctx);
    String key = entryKey(ctx);
    String message = Limits.message(Requests.utf8Header(ctx, "X-Herald-Message"));
    append(ctx, ns, List.of(Change.delete(key)), Requests.ifMatch(ctx), message, 200, RolloutsEndpoint.headerPlan(ctx));
  }

  private void rollback(RoutingContext ctx) {
    String ns = namespace(ctx);
    JsonObject body = Requests.jsonObjectBody(ctx);
    long to = Requests.requiredVersion(body, "to_version");
    String message = Requests.optionalString(body, "message");
    message = Limits.message(message == null ? "rollback to version " + to : message);
    Long expected = Requests.optionalVersion(body, "expected_version");
    String author = AuthHandler.principal(ctx).name();
    String msg = message;
    write(ctx, rollouts.write(ns, body.getValue("rollout"), expected, author,
        exp -> writes.submit(ConfigStore.Append.rollback(ns, to, exp, author, msg)), s -> ctx.put(ROLLOUT, s)), null, 201);
  }

  /** Where a write that started a rollout keeps it for its answer. */
  private static final String ROLLOUT = "herald.rollout";

  /** A write: its changes are encoded once, before the commit, so their digest is stored with the revision. */
  private void append(RoutingContext ctx, String ns, List<Change> changes, Long expected, String message, int status,
                      Object plan) {
    RevisionBus.Sealed sealed = RevisionBus.seal(changes);
    String author = AuthHandler.principal(ctx).name();
    write(ctx, rollouts.write(ns, plan, expected, author, exp -> writes.submit(ConfigStore.Append.write(ns,
        sealed.changes(), exp, author, message, sealed.sha256())), s -> ctx.put(ROLLOUT, s)), sealed.changesText(), status);
  }

  private void write(RoutingContext ctx, Future<Revision> commit, String changesText, int status) {
    commit
        .onSuccess(r -> {
          committed.published(r, changesText);
          JsonObject out = new JsonObject().put("namespace", r.namespace()).put("version", r.version())
              .put("kind", r.info().kind()).put("change_count", r.info().changeCount())
              .put("created_at", Payloads.time(r.info().createdAt()));
          if (r.info().rollbackTo() != null) {
            out.put("rollback_to", r.info().rollbackTo());
          }
          RolloutState rollout = ctx.get(ROLLOUT);
          if (rollout != null) {
            out.put("rollout", RolloutsEndpoint.summary(rollout));
          }
          ctx.response().setStatusCode(status)
              .putHeader("ETag", etag(r.version()))
              .putHeader("Location", "/v1/namespaces/" + r.namespace() + "/revisions/" + r.version());
          ctx.json(out);
        })
        .onFailure(ctx::fail);
  }

  private void history(RoutingContext ctx) {
    String ns = namespace(ctx);
    long before = Requests.longParam(ctx, "before", Long.MAX_VALUE);
    long after = Requests.longParam(ctx, "after", 0L);
    long limit = Requests.longParam(ctx, "limit", (long) Limits.DEFAULT_HISTORY_PAGE);
    if (limit < 1 || limit > Limits.MAX_HISTORY_PAGE) {
      throw ApiException.badRequest("invalid_parameter", "'limit' must be between 1 and " + Limits.MAX_HISTORY_PAGE);
    }
    store.history(ns, before, after, (int) limit)
        .map(page -> {
          JsonArray revisions = new JsonArray(page.revisions().stream().map(Payloads::revisionInfo).toList());
          Long next = null;
          if (page.revisions().size() == limit) {
            long oldest = page.revisions().get(page.revisions().size() - 1).version();
            next = oldest - 1 > after ? oldest : null;
          }
          return new JsonObject().put("namespace", ns).put("head", page.head()).put("revisions", revisions)
              .put("next_before", next);
        })
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private void oneRevision(RoutingContext ctx) {
    String ns = namespace(ctx);
    long version = Requests.pathVersion(ctx, "version");
    store.revision(ns, version).map(Payloads::revision).onSuccess(ctx::json).onFailure(ctx::fail);
  }

  private void diff(RoutingContext ctx) {
    String ns = namespace(ctx);
    Long from = Requests.longParam(ctx, "from", null);
    Long to = Requests.longParam(ctx, "to", null);
    if (from == null) {
      throw ApiException.badRequest("invalid_parameter", "'from' is required");
    }
    Future<Long> toVersion = to != null ? Future.succeededFuture(to) : store.head(ns);
    toVersion
        .compose(t -> {
          if (from > t) {
            return Future.failedFuture(ApiException.badRequest("invalid_range",
                "'from' (" + from + ") must not be greater than 'to' (" + t + ")"));
          }
          return store.diff(ns, from, t);
        })
        .map(Payloads::diff)
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  static String etag(long version) {
    return "\"" + version + "\"";
  }
}
