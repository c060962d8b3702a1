package io.tenantgate.bridge;

/**
 * Why a client subject was refused. The code is the metric reason tag and the {@code detail} of
 * the error the client gets; the closed set keeps the tag bounded.
 */
enum SubjectRefusal {
  EMPTY("subject_empty", "the subject is empty"),
  TOO_LONG("subject_too_long", "the subject is longer than " + SubjectMapper.MAX_LENGTH + " characters"),
  TOO_MANY_TOKENS("too_many_tokens", "the subject has more than " + SubjectMapper.MAX_TOKENS + " tokens"),
  EMPTY_TOKEN("empty_token", "the subject has an empty token (leading, trailing or double dot)"),
  BAD_CHARACTER("bad_character", "tokens may only contain A-Z, a-z, 0-9, '_' and '-'"),
  WILDCARD("wildcard", "wildcards are not allowed when publishing"),
  BAD_WILDCARD("bad_wildcard", "'*' must be a whole token and '>' only the last token"),
  PREFIXED("already_prefixed", "the subject already starts with the tenant prefix; send it unprefixed"),
  FOREIGN_PREFIX("foreign_prefix", "the subject starts with another tenant's prefix"),
  RESERVED("reserved_namespace", "edge.> is the gateway's own namespace (core to one component); clients never name it"),
  NOT_ALLOWED("not_allowed", "this component type may not use this subject"),
  NOT_STORED("not_stored", "no JetStream stream captures this subject: publish it without ack=jetstream");

  private final String code;
  private final String message;

  SubjectRefusal(String code, String message) {
    this.code = code;
    this.message = message;
  }

  String code() {
    return code;
  }

  String message() {
    return message;
  }
}
