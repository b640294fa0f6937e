package io.herald.hub;

import io.herald.db.ClientStateStore;
import io.herald.db.RolloutStore;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Progressive rollouts over HTTP (docs/http-api.md): a namespace's default plan, its rollouts with
 * their progress, and the operator's promote, pause, resume and abort. Readers (the rollout
 * permission) see; writers act.
 */
final class RolloutsEndpoint {

  static final int MAX_PLAN_BYTES = 16 * 1024;
  static final int MAX_LIST = 100;
  /** The header that carries a plan on PUT and DELETE of an entry (their body is the value). */
  static final String PLAN_HEADER = "X-Herald-Rollout";

  private final Vertx vertx;
  private final RolloutControl control;
  private final ClientStateStore clients;
  private final HubOptions options;

  RolloutsEndpoint(Vertx vertx, RolloutControl control, ClientStateStore clients, HubOptions options) {
    this.vertx = vertx;
    this.control = control;
    this.clients = clients;
    this.options = options;
  }

  void addRoutes(Router router) {
    String ns = "/v1/namespaces/:ns";
    BodyHandler body = BodyHandler.create(false).setBodyLimit(MAX_PLAN_BYTES);
    Handler<RoutingContext> see = Authorize.namespace(Principal.Permission.ROLLOUT);
    Handler<RoutingContext> act = Authorize.namespace(Principal.Permission.WRITE);
    router.get(ns + "/rollout-policy").handler(see).handler(this::getPolicy);
    router.put(ns + "/rollout-policy").handler(body).handler(act).handler(this::putPolicy);
    router.delete(ns + "/rollout-policy").handler(act).handler(this::deletePolicy);
    router.get(ns + "/rollouts").handler(see).handler(this::list);
    router.get(ns + "/rollouts/:version").handler(see).handler(this::one);
    for (String action : new String[] {"promote", "pause", "resume", "abort"}) {
      router.post(ns + "/rollouts/:version/" + action).handler(body).handler(act).handler(ctx -> act(ctx, action));
    }
  }

  /** The plan of an entry write's {@value #PLAN_HEADER} header: a plan as JSON, or "all"; null when absent. */
  static Object headerPlan(RoutingContext ctx) {
    String raw = Requests.utf8Header(ctx, PLAN_HEADER);
    if (raw == null) {
      return null;
    }
    if (raw.trim().equals("all")) {
      return "all";
    }
    try {
      return new JsonObject(raw);
    } catch (RuntimeException e) {
      throw new ApiException(400, "invalid_rollout", "'" + PLAN_HEADER + "' must be a rollout plan as JSON, or all",
          new JsonObject().put("field", PLAN_HEADER));
    }
  }

  /** What a write's answer says of the rollout it started. */
  static JsonObject summary(RolloutState s) {
    return new JsonObject().put("version", s.version()).put("stable", s.stable()).put("state", s.state())
        .put("step", s.step()).put("plan", s.plan().toJson());
  }

  private void getPolicy(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    JsonObject plan = control.registry.policy(ns);
    if (plan == null) {
      throw new ApiException(404, "no_rollout_policy", "namespace '" + ns + "' has no rollout policy: writes without"
          + " a plan go to every client at once");
    }
    ctx.json(new JsonObject().put("namespace", ns).put("plan", plan));
  }

  private void putPolicy(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    JsonObject plan = RolloutPlans.parse(Requests.jsonObjectBody(ctx), "plan").toJson();
    control.rollouts.putPolicy(ns, plan, AuthHandler.principal(ctx).name())
        .onSuccess(v -> {
          control.registry.policy(ns, plan);
          vertx.eventBus().publish(Addresses.ROLLOUT_POLICIES, new JsonObject().put("namespace", ns).put("plan", plan));
          ctx.json(new JsonObject().put("namespace", ns).put("plan", plan));
        })
        .onFailure(ctx::fail);
  }

  private void deletePolicy(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    control.rollouts.deletePolicy(ns, AuthHandler.principal(ctx).name())
        .onSuccess(existed -> {
          control.registry.policy(ns, null);
          vertx.eventBus().publish(Addresses.ROLLOUT_POLICIES, new JsonObject().put("namespace", ns).putNull("plan"));
          if (!existed) {
            ctx.fail(new ApiException(404, "no_rollout_policy", "namespace '" + ns + "' has no rollout policy"));
            return;
          }
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    long limit = Requests.longParam(ctx, "limit", 20L);
    if (limit < 1 || limit > MAX_LIST) {
      throw ApiException.badRequest("invalid_parameter", "'limit' must be between 1 and " + MAX_LIST);
    }
    control.rollouts.list(ns, (int) limit)
        .map(all -> new JsonObject().put("namespace", ns)
            .put("rollouts", new JsonArray(all.stream().map(RolloutsEndpoint::brief).toList())))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  static JsonObject brief(RolloutStore.Rollout r) {
    RolloutStore.Transition t = r.last();
    return new JsonObject().put("version", r.version()).put("stable", r.stable()).put("state", t.state())
        .put("step", t.step()).put("steps", r.plan().getJsonArray("steps").size()).put("plan", r.plan())
        .put("created_by", r.createdBy()).put("created_at", r.createdAt().toInstant().toString())
        .put("updated_at", t.at().toInstant().toString()).put("last_transition", t.kind());
  }

  private void one(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    long version = Requests.pathVersion(ctx, "version");
    detail(ns, version).onSuccess(ctx::json).onFailure(ctx::fail);
  }

  /** A rollout with its transitions and where each step stands now. */
  Future<JsonObject> detail(String ns, long version) {
    return control.rollouts.find(ns, version).compose(r -> {
      if (r == null) {
        return Future.failedFuture(new ApiException(404, "rollout_not_found",
            "namespace '" + ns + "' has no rollout of version " + version));
      }
      return clients.list(ns).map(rows -> describe(r, rows, options.pullStaleCutoffMillis()));
    });
  }

  static JsonObject describe(RolloutStore.Rollout r, java.util.List<io.herald.db.ClientRow> rows, long staleCutoff) {
    RolloutPlans.Plan plan = RolloutPlans.parse(r.plan(), "plan");
    RolloutStore.Transition last = r.last();
    boolean all = last.state().equals("completed");
    RolloutProgress p = RolloutProgress.of(plan, r.namespace(), r.version(), last.step(), all, rows, staleCutoff);
    JsonArray transitions = new JsonArray();
    for (RolloutStore.Transition t : r.transitions()) {
      transitions.add(new JsonObject().put("seq", t.seq()).put("kind", t.kind()).put("step", t.step())
          .put("state", t.state()).put("actor", t.actor()).put("detail", t.detail()).put("at", t.at().toInstant().toString()));
    }
    JsonObject halt = null;
    for (RolloutStore.Transition t : r.transitions()) {
      if (t.kind().equals("halted")) {
        halt = new JsonObject().put("at", t.at().toInstant().toString()).put("rejections", t.detail().getJsonArray("rejections"));
      }
    }
    return brief(r).put("namespace", r.namespace()).put("halt", halt).mergeIn(p.toJson(plan, last.step(), all))
        .put("transitions", transitions);
  }

  private void act(RoutingContext ctx, String action) {
    String ns = NamespaceEndpoint.namespace(ctx);
    long version = Requests.pathVersion(ctx, "version");
    boolean toAll = false;
    if (ctx.body().length() > 0) {
      JsonObject body = Requests.jsonObjectBody(ctx);
      for (String f : body.fieldNames()) {
        if (!(action.equals("promote") && f.equals("to"))) {
          throw ApiException.badRequest("invalid_request", "'" + f + "' is not a field of " + action
              + (action.equals("promote") ? " (only \"to\": \"all\")" : " (it takes no body)"));
        }
      }
      if (body.containsKey("to")) {
        if (!"all".equals(body.getValue("to"))) {
          throw ApiException.badRequest("invalid_request", "'to' must be \"all\" (omit it for the next step)");
        }
        toAll = true;
      }
    }
    control.act(ns, version, action, toAll, AuthHandler.principal(ctx).name())
        .compose(r -> detail(ns, version))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }
}
