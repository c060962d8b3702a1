package io.tenantgate.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** A request whose fields do not validate: every field problem, for a 400 with field-level messages. */
final class InvalidRequest extends RuntimeException {
  private final JsonArray errors;

  InvalidRequest(List<JsonObject> errors) {
    super(errors.size() == 1 ? errors.get(0).getString("field") + ": " + errors.get(0).getString("message")
        : errors.size() + " fields are invalid", null, false, false);
    this.errors = new JsonArray(List.copyOf(errors));
  }

  JsonArray errors() {
    return errors;
  }
}
