package io.tenantgate.admin;

import io.tenantgate.tenant.StoreException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What one admin or enrollment call answers: a status and a JSON body, or a problem. {@code outcome}
 * is "ok" or the refusal's reason code, for the metrics and the log.
 */
record Reply(int status, JsonObject body, String outcome) {
  static Reply ok(JsonObject body) {
    return new Reply(200, body, "ok");
  }

  static Reply created(JsonObject body) {
    return new Reply(201, body, "ok");
  }

  /** problem+json: {@code type}, {@code title}, {@code status}, {@code reason}, {@code detail}[, {@code errors}]. */
  static Reply problem(int status, String reason, String title, String detail, JsonArray errors) {
    JsonObject p = new JsonObject().put("type", "urn:tenantgate:problem:" + reason).put("title", title)
        .put("status", status).put("reason", reason).put("detail", detail);
    if (errors != null && !errors.isEmpty()) {
      p.put("errors", errors);
    }
    return new Reply(status, p, reason);
  }

  /** The reply for a failed call: refusals keep their reason; anything else is a 500 with no detail. */
  static Reply of(Throwable err) {
    if (err instanceof InvalidRequest bad) {
      return problem(400, "invalid_request", "The request has invalid fields", bad.getMessage(), bad.errors());
    }
    if (err instanceof StoreException se) {
      int status = switch (se.kind()) {
        case INVALID -> 400;
        case NOT_FOUND -> 404;
        case CONFLICT -> 409;
        case FORBIDDEN -> 403;
        case GONE -> 410;
      };
      return problem(status, se.reason(), title(status), se.getMessage(), null);
    }
    return problem(500, "internal", "Internal error", "the request failed inside the gateway; see its log", null);
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Invalid input";
      case 403 -> "Forbidden";
      case 404 -> "Not found";
      case 409 -> "Conflict";
      case 410 -> "Gone";
      default -> "Refused";
    };
  }

  boolean isProblem() {
    return status >= 400;
  }
}
