package io.herald.hub;

import io.herald.db.StoreException;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The router's one failure handler: maps typed failures to status codes and always answers with
 * {@code {"error", "message"}}. Store failures arrive typed ({@link StoreException}), so this maps
 * types only: an unavailable database is 503, anything unknown 500. Client mistakes are logged at
 * FINE without stack traces; anything unexpected is logged in full and answered with a bland 500 or 503.
 */
final class ErrorHandler implements Handler<RoutingContext> {

  private static final Logger LOG = Logger.getLogger(ErrorHandler.class.getName());

  private final FailureLog failures;

  ErrorHandler(FailureLog failures) {
    this.failures = failures;
  }

  @Override
  public void handle(RoutingContext ctx) {
    ApiException error = toApiException(ctx);
    if (error.status() == 503) {
      failures.report("requests failed, " + error.code(), ctx.failure());
    } else if (error.status() >= 500) {
      // A bug: the first of each interval with its stack trace, the rest counted.
      failures.report("requests failed, " + error.code(), ctx.failure(), true);
    } else if (LOG.isLoggable(Level.FINE)) {
      LOG.fine(ctx.request().method() + " " + ctx.request().path() + " -> " + error.status() + " " + error.code());
    }
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ctx.response()
        .setStatusCode(error.status())
        .putHeader("Content-Type", "application/json")
        .end(error.body().encode());
  }

  static ApiException toApiException(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure == null || failure instanceof HttpException) {
      int status = failure == null ? ctx.statusCode() : ((HttpException) failure).getStatusCode();
      return switch (status) {
        case 404 -> new ApiException(404, "not_found", "no such endpoint: " + ctx.request().path());
        case 405 -> new ApiException(405, "method_not_allowed",
            ctx.request().method() + " is not allowed on " + ctx.request().path());
        case 413 -> ApiException.tooLarge("payload_too_large",
            "the request body is larger than this endpoint accepts (" + Limits.MAX_REVISION_BYTES + " bytes)");
        case 400 -> ApiException.badRequest("bad_request", "the request could not be read");
        default -> status >= 400 && status < 500
            ? new ApiException(status, "bad_request", "the request was refused")
            : new ApiException(500, "internal", "the hub failed to handle the request");
      };
    }
    return toApiException(failure);
  }

  /** The answer to a failure of an action (not of the HTTP layer's own routing). Types only. */
  static ApiException toApiException(Throwable failure) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof StoreException.NamespaceNotFound e) {
      return new ApiException(404, "namespace_not_found", e.getMessage());
    }
    if (failure instanceof StoreException.VersionNotFound e) {
      return new ApiException(404, "version_not_found", e.getMessage(), new JsonObject().put("head", e.head));
    }
    if (failure instanceof StoreException.KeyNotFound e) {
      return new ApiException(404, "key_not_found", e.getMessage());
    }
    if (failure instanceof StoreException.RolloutActive e) {
      // Another node started the rollout an instant before this hub learned of it (V12, HR413).
      return RolloutControl.inProgress(e.namespace, e.version, "active");
    }
    if (failure instanceof StoreException.VersionConflict e) {
      return new ApiException(409, "version_conflict", e.getMessage(), new JsonObject().put("head", e.head));
    }
    if (failure instanceof StoreException.InvalidValue) {
      // Data PostgreSQL refuses, such as U+0000 inside a JSON string: the client's to fix.
      return ApiException.badRequest("unsupported_value",
          "PostgreSQL cannot store this value (for example the character U+0000 in a string)");
    }
    if (failure instanceof StoreException.Duplicate) {
      return new ApiException(409, "duplicate", "the request would create something that exists already");
    }
    if (failure instanceof StoreException.Unavailable) {
      return new ApiException(503, "database_unavailable", "the database did not complete the request; retry later");
    }
    if (failure != null && failure.getClass().getName().startsWith("io.netty.handler.codec")) {
      // Netty refused to decode the request itself (an oversized field, a broken encoding).
      return failure.getClass().getSimpleName().contains("TooLong")
          ? ApiException.tooLarge("payload_too_large", "a part of the request is larger than the hub accepts")
          : ApiException.badRequest("bad_request", "the request could not be decoded");
    }
    if (failure instanceof DecodeException) {
      return ApiException.badRequest("invalid_json", "the request body is not valid JSON");
    }
    return new ApiException(500, "internal", "the hub failed to handle the request");
  }
}
