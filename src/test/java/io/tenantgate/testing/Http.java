package io.tenantgate.testing;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/** Request helpers for tests: send, wait, and keep status, content type, protocol and body. */
public final class Http {
  private Http() {
  }

  /** A finished response. */
  public record Response(int status, String contentType, String version, Buffer body, io.vertx.core.MultiMap headers) {
    public String header(String name) {
      return headers.get(name);
    }

    public JsonObject json() {
      return body.toJsonObject();
    }
  }

  public static Response get(HttpClient client, String uri) {
    return send(client, new RequestOptions().setURI(uri), null);
  }

  public static Response post(HttpClient client, String uri, int bodyBytes) {
    return send(client, new RequestOptions().setMethod(HttpMethod.POST).setURI(uri), Buffer.buffer(new byte[bodyBytes]));
  }

  public static Response send(HttpClient client, RequestOptions ro, Buffer body) {
    return Await.result(sendAsync(client, ro, body));
  }

  public static Future<Response> sendAsync(HttpClient client, RequestOptions ro, Buffer body) {
    // body() must be attached in the callback that receives the response: chained as a second compose
    // from a test thread, the response can end before that compose is registered, and its body is then
    // lost for good (the request never completes)
    return client.request(ro).compose(req -> (body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), resp.getHeader("content-type"),
            resp.version().alpnName(), b, resp.headers()))));
  }
}
