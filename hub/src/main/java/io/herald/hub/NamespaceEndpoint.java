package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.ConfigStore;
import io.herald.db.Revision;
import io.herald.db.Snapshot;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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

  /** Every write and rollback goes through it: one path, validated, group-committed under load. */
  private final SchemaGate writes;

  /** Writes under a rollout plan start a rollout; writes during one are refused (RolloutControl#write). */
  private final RolloutControl rollouts;
  private final io.herald.db.SchemaStore schemaStore;
  private final SchemaCheck schemas;

  NamespaceEndpoint(ConfigStore store, SchemaGate writes, Committed committed, TokenLimits limits,
                    HttpClientEndpoint httpClients, RolloutControl rollouts, io.herald.db.SchemaStore schemaStore,
                    SchemaCheck schemas) {
    this.rollouts = rollouts;
    this.schemaStore = schemaStore;
    this.schemas = schemas;
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
    router.put(NS).handler(body).handler(write).handler(this::rateLimit).handler(this::importFile);
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
    ConfigFiles.Format format = exportFormat(ctx);
    if (format != null) {
      export(ctx, format);
      return;
    }
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
          answerSnapshot(ctx, s, ifNoneMatch, null);
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
          answerSnapshot(ctx, s, ifNoneMatch, RolloutsEndpoint.summary(r));
        })
        .onFailure(ctx::fail);
  }

  /** A snapshot with its ETag and digest, or 304 when it is the version the client names; {@code rollout} when one runs. */
  private static void answerSnapshot(RoutingContext ctx, Snapshot s, String ifNoneMatch, JsonObject rollout) {
    String etag = etag(s.version());
    ctx.response().putHeader("ETag", etag);
    if (etag.equals(ifNoneMatch)) {
      ctx.response().setStatusCode(304).end();
      return;
    }
    String digest = ContentDigest.of(s.entries());
    ctx.response().putHeader("X-Herald-Digest", digest);
    JsonObject body = Payloads.snapshot(s).put("digest", digest);
    ctx.json(rollout == null ? body : body.put("rollout", rollout));
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
    if (dryRun(ctx)) {
      dryRun(ctx, ConfigStore.Append.rollback(ns, to, expected, author, msg), body.getValue("rollout"));
      return;
    }
    judgedFirst(ctx, ConfigStore.Append.rollback(ns, to, expected, author, msg), body.getValue("rollout"),
        () -> write(ctx, rollouts.write(ns, body.getValue("rollout"), expected, author,
            (exp, rollout) -> writes.submit(ConfigStore.Append.rollback(ns, to, exp, author, msg).inRollout(rollout)),
            s -> ctx.put(ROLLOUT, s)),
            null, 201));
  }

  /** Where a write that started a rollout keeps it for its answer. */
  private static final String ROLLOUT = "herald.rollout";

  /** A write: its changes are encoded once, before the commit, so their digest is stored with the revision. */
  private void append(RoutingContext ctx, String ns, List<Change> changes, Long expected, String message, int status,
                      Object plan) {
    if (dryRun(ctx)) {
      dryRun(ctx, ConfigStore.Append.write(ns, changes, expected, AuthHandler.principal(ctx).name(), message), plan);
      return;
    }
    RevisionBus.Sealed sealed = RevisionBus.seal(changes);
    String author = AuthHandler.principal(ctx).name();
    judgedFirst(ctx, ConfigStore.Append.write(ns, changes, expected, author, message), plan,
        () -> write(ctx, rollouts.write(ns, plan, expected, author, (exp, rollout) -> writes.submit(
            ConfigStore.Append.write(ns, sealed.changes(), exp, author, message, sealed.sha256()).inRollout(rollout)),
            s -> ctx.put(ROLLOUT, s)), sealed.changesText(), status));
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

  // ---- dry runs ---------------------------------------------------------------------------------

  /** {@code ?dry_run=true}: answer what the write would do and commit nothing. */
  private static boolean dryRun(RoutingContext ctx) {
    String v = ctx.request().getParam("dry_run");
    if (v == null || v.equals("false")) {
      return false;
    }
    if (v.equals("true") || v.isEmpty()) {
      return true;
    }
    throw ApiException.badRequest("invalid_parameter", "'dry_run' must be true or false");
  }

  private Future<Snapshot> headOrEmpty(String ns) {
    return store.snapshot(ns).recover(e -> e instanceof io.herald.db.StoreException.NamespaceNotFound
        ? Future.succeededFuture(new Snapshot(ns, 0, java.util.Map.of()))
        : Future.failedFuture(e));
  }

  /**
   * What {@code a} would do now: the version it would get, its diff against the head, the schema's
   * verdict on the state after it, and the rollout plan (none yet: every client at once). The
   * answer fails as the write would (409, 404, 422 with the same fields); nothing is committed.
   */
  private void dryRun(RoutingContext ctx, ConfigStore.Append a, Object requestPlan) {
    predict(a, requestPlan)
        .onSuccess(out -> {
          ctx.response().putHeader("ETag", etag(out.getLong("base")));
          ctx.json(out);
        })
        .onFailure(ctx::fail);
  }

  /**
   * A write under a rollout plan is judged before its rollout is recorded: a rollout whose write is
   * then refused would hold its version (issue #15 keys rollouts by version). The schema gate still
   * judges the write itself, atomically with its append.
   */
  private void judgedFirst(RoutingContext ctx, ConfigStore.Append a, Object requestPlan, Runnable write) {
    RolloutPlans.Plan plan;
    try {
      plan = rollouts.registry.active(a.namespace()) != null ? null
          : RolloutPlans.resolve(requestPlan, rollouts.registry.policy(a.namespace()));
    } catch (ApiException e) {
      ctx.fail(e);
      return;
    }
    if (plan == null) {
      write.run();
      return;
    }
    predict(a, requestPlan).onSuccess(x -> write.run()).onFailure(ctx::fail);
  }

  /**
   * What {@code a} would do now: the version it would get, its diff against the head, the schema's
   * verdict on the state after it, and the rollout plan that would apply. Fails as the write would
   * (409, 404, 422 with the same fields); commits nothing.
   */
  private Future<JsonObject> predict(ConfigStore.Append a, Object requestPlan) {
    String ns = a.namespace();
    RolloutState running = rollouts.registry.active(ns);
    RolloutPlans.Plan plan;
    try {
      if (running != null) {
        throw RolloutControl.inProgress(ns, running.version(), running.state());
      }
      plan = RolloutPlans.resolve(requestPlan, rollouts.registry.policy(ns));
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    Future<Snapshot> head = headOrEmpty(ns);
    Future<io.herald.db.SchemaChange> schema = schemaStore.current(ns);
    return Future.all(head, schema)
        .compose(x -> SchemaGate.after(ns, head.result().version(), head.result().entries(), a, store::snapshot)
            .map(after -> {
              Snapshot h = head.result();
              io.herald.db.SchemaChange sc = schema.result();
              List<JsonObject> errors = sc == null ? List.of()
                  : SchemaCheck.violations(schemas.validator(ns, sc.version(), sc.schema()), after);
              JsonObject out = new JsonObject().put("dry_run", true).put("namespace", ns)
                  .put("base", h.version()).put("version", h.version() + 1)
                  .put("kind", a.rollbackTo() == null ? ConfigStore.KIND_WRITE : ConfigStore.KIND_ROLLBACK)
                  .put("diff", Payloads.diff(diff(ns, h, after)).getJsonArray("changes"))
                  .put("valid", errors.isEmpty())
                  .put("schema_version", sc == null ? null : sc.version())
                  .put("errors", new JsonArray(errors))
                  // The progressive-rollout plan that would apply (issue #15); null: all clients at once.
                  .put("rollout", plan == null ? null : plan.toJson());
              if (!errors.isEmpty()) {
                ApiException violated = SchemaCheck.violated(ns, sc.version(), errors);
                throw new ApiException(422, violated.code(), violated.getMessage(), out);
              }
              return out;
            }));
  }

  /** The net change from {@code head} to {@code after}, as the diff endpoint reports it. */
  static io.herald.db.Diff diff(String ns, Snapshot head, java.util.Map<String, Object> after) {
    java.util.TreeSet<String> keys = new java.util.TreeSet<>(head.entries().keySet());
    keys.addAll(after.keySet());
    List<io.herald.db.Diff.Entry> out = new java.util.ArrayList<>();
    for (String k : keys) {
      boolean before = head.entries().containsKey(k);
      boolean now = after.containsKey(k);
      if (before == now && java.util.Objects.equals(head.entries().get(k), after.get(k))) {
        continue;
      }
      out.add(new io.herald.db.Diff.Entry(k, before, head.entries().get(k), now, after.get(k)));
    }
    return new io.herald.db.Diff(ns, head.version(), head.version() + 1, out);
  }

  // ---- files in and out ---------------------------------------------------------------------------

  /** {@code ?format=} or, failing that, an Accept header naming properties or YAML (JSON keeps the snapshot). */
  private static ConfigFiles.Format exportFormat(RoutingContext ctx) {
    ConfigFiles.Format param = ConfigFiles.Format.ofParam(ctx.request().getParam("format"));
    if (param != null) {
      return param;
    }
    String accept = ctx.request().getHeader("Accept");
    if (accept == null) {
      return null;
    }
    for (String range : accept.split(",")) {
      ConfigFiles.Format f = ConfigFiles.Format.ofMediaType(range);
      if (f == ConfigFiles.Format.PROPERTIES || f == ConfigFiles.Format.YAML) {
        return f;
      }
    }
    return null;
  }

  private void export(RoutingContext ctx, ConfigFiles.Format format) {
    String ns = namespace(ctx);
    snapshotFor(ctx, ns)
        .onSuccess(s -> {
          String body;
          try {
            body = switch (format) {
              case PROPERTIES -> ConfigFiles.writeProperties(s.entries());
              case YAML -> ConfigFiles.writeYaml(s.entries());
              case JSON -> Payloads.entries(s.entries()).encodePrettily() + "\n";
            };
          } catch (ApiException e) {
            ctx.fail(e);
            return;
          }
          ctx.response().putHeader("Content-Type", format.mediaType).putHeader("ETag", etag(s.version()))
              .putHeader("X-Herald-Version", Long.toString(s.version()))
              .putHeader("X-Herald-Digest", ContentDigest.of(s.entries())).end(body);
        })
        .onFailure(ctx::fail);
  }

  /**
   * {@code PUT /v1/namespaces/{ns}} with a whole file: one revision whose changes are exactly the
   * differences from the head (absent keys deleted); no revision when nothing differs. The changes
   * are computed from the head read first and written with that head as the expected version, so
   * a concurrent write makes it read again (up to three times) instead of undoing that write.
   */
  private void importFile(RoutingContext ctx) {
    String ns = namespace(ctx);
    String type = ctx.request().getHeader("Content-Type");
    ConfigFiles.Format format = ConfigFiles.Format.ofMediaType(type);
    if (format == null) {
      throw new ApiException(415, "unsupported_media_type", "send the namespace as text/x-java-properties, "
          + "application/yaml or application/json (a flat object of keys to values)");
    }
    java.util.Map<String, Object> file = readFile(ctx, format);
    String message = Limits.message(Requests.utf8Header(ctx, "X-Herald-Message"));
    Long ifMatch = Requests.ifMatch(ctx);
    importFile(ctx, ns, file, message, ifMatch, dryRun(ctx), 3);
  }

  private void importFile(RoutingContext ctx, String ns, java.util.Map<String, Object> file, String message,
                          Long ifMatch, boolean dry, int triesLeft) {
    headOrEmpty(ns).onSuccess(head -> {
      List<Change> changes = new java.util.ArrayList<>();
      for (io.herald.db.Diff.Entry e : diff(ns, head, file).changes()) {
        changes.add(e.existsAfter() ? Change.put(e.key(), e.after()) : Change.delete(e.key()));
      }
      if (changes.size() > Limits.MAX_CHANGES) {
        ctx.fail(ApiException.unprocessable("too_many_changes", "the file differs from the head in " + changes.size()
            + " keys; a revision holds at most " + Limits.MAX_CHANGES));
        return;
      }
      long expected = ifMatch != null ? ifMatch : head.version();
      if (changes.isEmpty() && (ifMatch == null || ifMatch == head.version())) {
        JsonObject out = new JsonObject().put("namespace", ns).put("version", head.version()).put("changed", false)
            .put("change_count", 0);
        if (dry) {
          out.put("dry_run", true).put("base", head.version()).put("diff", new JsonArray()).put("valid", true)
              .put("errors", new JsonArray()).put("rollout", null);
        }
        ctx.response().putHeader("ETag", etag(head.version()));
        ctx.json(out);
        return;
      }
      String author = AuthHandler.principal(ctx).name();
      if (dry) {
        dryRun(ctx, ConfigStore.Append.write(ns, changes, expected, author, message), null);
        return;
      }
      judgedFirst(ctx, ConfigStore.Append.write(ns, changes, expected, author, message), null, () -> {
        RevisionBus.Sealed sealed = RevisionBus.seal(changes);
        // Under the namespace's rollout policy, like any write (refused while a rollout is unfinished).
        Future<Revision> commit = rollouts.write(ns, null, expected, author, (exp, rollout) -> writes.submit(
            ConfigStore.Append.write(ns, sealed.changes(), exp, author, message, sealed.sha256()).inRollout(rollout)),
            s -> ctx.put(ROLLOUT, s));
        commit.onFailure(e -> {
          if (ifMatch == null && triesLeft > 1 && e instanceof io.herald.db.StoreException.VersionConflict) {
            importFile(ctx, ns, file, message, null, false, triesLeft - 1); // someone wrote meanwhile: diff again
          }
        });
        write(ctx, commit.recover(e -> ifMatch == null && triesLeft > 1
                && e instanceof io.herald.db.StoreException.VersionConflict ? Promise.<Revision>promise().future()
                : Future.failedFuture(e)),
            sealed.changesText(), 200);
      });
    }).onFailure(ctx::fail);
  }

  /** The body as a namespace: keys checked, values as Herald stores them. */
  private static java.util.Map<String, Object> readFile(RoutingContext ctx, ConfigFiles.Format format) {
    io.vertx.core.buffer.Buffer raw = ctx.body().buffer();
    String text = raw == null ? "" : utf8(raw.getBytes());
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    switch (format) {
      case PROPERTIES -> {
        for (ConfigFiles.Property p : ConfigFiles.readProperties(text)) {
          if (!Limits.KEY.matcher(p.key()).matches()) {
            throw ConfigFiles.invalid("invalid_key", "key " + Limits.quoteShort(p.key())
                + " must match [A-Za-z0-9][A-Za-z0-9._/-]{0,255}", p.line(), p.column());
          }
          out.put(p.key(), ConfigFiles.propertyValue(p.value()));
        }
      }
      case YAML -> out.putAll(ConfigFiles.readYaml(text));
      case JSON -> {
        Object body = Requests.jsonBody(ctx);
        if (!(body instanceof JsonObject o)) {
          throw ApiException.badRequest("invalid_request", "a JSON namespace file is one object of keys to values");
        }
        o.forEach(e -> out.put(e.getKey(), e.getValue()));
      }
    }
    for (java.util.Map.Entry<String, Object> e : out.entrySet()) {
      Limits.key(e.getKey());
      Limits.value(e.getKey(), e.getValue());
    }
    return out;
  }

  private static String utf8(byte[] bytes) {
    try {
      return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw ApiException.badRequest("invalid_encoding", "the file must be UTF-8 text");
    }
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
