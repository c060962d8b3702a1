package io.tenantgate.bridge;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reply subjects of one socket's deliveries, handed to the client as tokens ({@code r1}, {@code r2},
 * …) so it answers exactly the subject NATS gave and can name no other. Each token answers once; beyond
 * {@value #MAX} unanswered the oldest are forgotten. Issued on the dispatcher's thread, taken on the
 * event loop.
 */
final class ReplyTokens {
  static final int MAX = 256;

  private final AtomicLong next = new AtomicLong();
  private final Map<String, String> subjects = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > MAX;
    }
  });

  String issue(String replyTo) {
    String token = "r" + next.incrementAndGet();
    subjects.put(token, replyTo);
    return token;
  }

  /** The reply subject behind {@code token}, once; null when unknown or already answered. */
  String take(String token) {
    return token == null ? null : subjects.remove(token);
  }
}
