package io.herald.hub;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.RoutingContext;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * A {@link RoutingContext} that holds only what request parsing and error mapping read (query
 * parameters, headers, path parameters, the body, the failure), for unit tests without a server.
 * Anything else it is asked throws, naming the method, so a test shows at once what it lacks.
 */
final class FakeContext {

  private final Map<String, String> params = new HashMap<>();
  private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  private final Map<String, String> pathParams = new HashMap<>();
  private HttpMethod method = HttpMethod.GET;
  private String path = "/v1/namespaces/test";
  private Buffer body;
  private Throwable failure;
  private int statusCode = -1;

  FakeContext param(String name, String value) {
    params.put(name, value);
    return this;
  }

  FakeContext header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  FakeContext pathParam(String name, String value) {
    pathParams.put(name, value);
    return this;
  }

  FakeContext request(HttpMethod method, String path) {
    this.method = method;
    this.path = path;
    return this;
  }

  FakeContext body(String body) {
    this.body = Buffer.buffer(body);
    return this;
  }

  /** What the router failed the request with: an exception, or a bare status code. */
  FakeContext failed(Throwable failure) {
    this.failure = failure;
    return this;
  }

  FakeContext failed(int statusCode) {
    this.statusCode = statusCode;
    return this;
  }

  RoutingContext context() {
    HttpServerRequest request = fake(HttpServerRequest.class, (name, args) -> switch (name) {
      case "getParam" -> args.length > 1 ? params.getOrDefault((String) args[0], (String) args[1]) : params.get(args[0]);
      case "getHeader" -> headers.get(args[0].toString());
      case "method" -> method;
      case "path" -> path;
      default -> null;
    });
    RequestBody requestBody = fake(RequestBody.class, (name, args) -> name.equals("buffer") ? body : null);
    return fake(RoutingContext.class, (name, args) -> switch (name) {
      case "request" -> request;
      case "pathParam" -> pathParams.get(args[0]);
      case "body" -> requestBody;
      case "failure" -> failure;
      case "statusCode" -> statusCode;
      default -> null;
    });
  }

  /** A proxy answering {@code answer(method name, arguments)}; a null answer means "not faked". */
  private static <T> T fake(Class<T> type, BiFunction<String, Object[], Object> answer) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
      if (m.getDeclaringClass() == Object.class) {
        return switch (m.getName()) {
          case "equals" -> proxy == args[0];
          case "hashCode" -> System.identityHashCode(proxy);
          default -> "fake " + type.getSimpleName();
        };
      }
      Object a = answer.apply(m.getName(), args == null ? new Object[0] : args);
      if (a == null && !isFakedReturningNull(m.getName())) {
        throw new UnsupportedOperationException("FakeContext does not fake " + type.getSimpleName() + "." + m.getName());
      }
      return a;
    }));
  }

  /** Methods whose honest answer may be null (an absent parameter, header, body or failure). */
  private static boolean isFakedReturningNull(String method) {
    return switch (method) {
      case "getParam", "getHeader", "pathParam", "buffer", "failure" -> true;
      default -> false;
    };
  }
}
