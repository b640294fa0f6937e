package io.herald.hub;

import io.vertx.core.json.JsonObject;

/**
 * A client mistake or refusal, answered with {@code status} and the JSON body
 * {@code {"error": code, "message": message, ...details}}. Never carries a stack trace.
 */
public final class ApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final JsonObject details;

  public ApiException(int status, String code, String message) {
    this(status, code, message, null);
  }

  public ApiException(int status, String code, String message, JsonObject details) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  public static ApiException badRequest(String code, String message) {
    return new ApiException(400, code, message);
  }

  public static ApiException unprocessable(String code, String message) {
    return new ApiException(422, code, message);
  }

  public static ApiException tooLarge(String code, String message) {
    return new ApiException(413, code, message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public JsonObject body() {
    JsonObject body = new JsonObject().put("error", code).put("message", getMessage());
    if (details != null) {
      body.mergeIn(details);
    }
    return body;
  }
}
