package io.tenantgate.bridge;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.tenantgate.config.NatsStreamConfig;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates or updates, idempotently, the one JetStream stream of each active tenant: named by
 * {@link SubjectMapper#streamName}, over that tenant's own subjects only (never a shared stream over
 * {@code *.…}), with finite limits and discard-new, so a full stream refuses publishes with an error
 * instead of silently dropping old messages. Blocking: runs only on the NATS thread.
 */
final class StreamProvisioner {
  private static final Logger LOG = LoggerFactory.getLogger(StreamProvisioner.class);
  private static final int STREAM_NOT_FOUND = 10059;

  private final SubjectMapper mapper;
  private final NatsStreamConfig config;
  /** Tenants whose stream is known to be in place on the current connection. NATS thread only. */
  private final Set<String> ensured = new HashSet<>();

  StreamProvisioner(SubjectMapper mapper, NatsStreamConfig config) {
    this.mapper = mapper;
    this.config = config;
  }

  StreamConfiguration desired(String slug) {
    return StreamConfiguration.builder()
        .name(mapper.streamName(slug))
        .description("tenantgate stream of tenant " + slug)
        .subjects(mapper.streamSubjects(slug))
        .retentionPolicy(RetentionPolicy.Limits)
        .discardPolicy(DiscardPolicy.New)
        .storageType(config.storage() == NatsStreamConfig.Storage.MEMORY ? StorageType.Memory : StorageType.File)
        .replicas(config.replicas())
        .maxBytes(config.maxBytes())
        .maxMessages(config.maxMsgs())
        .maxAge(config.maxAge())
        .maximumMessageSize((int) Math.min(Integer.MAX_VALUE, config.maxMsgSize()))
        .duplicateWindow(config.duplicateWindow())
        .build();
  }

  /** The server restarted or the connection is new: every stream is checked again. */
  void forgetAll() {
    ensured.clear();
  }

  void forget(String slug) {
    ensured.remove(slug);
  }

  /** Ensures every listed tenant's stream; one failure does not stop the others. */
  void ensureAll(JetStreamManagement jsm, List<String> slugs) {
    for (String slug : slugs) {
      try {
        ensure(jsm, slug);
      } catch (IOException | JetStreamApiException | RuntimeException e) {
        LOG.error("op=nats.stream.provision outcome=failed tenant={} stream={} cause=\"{}\"", slug,
            mapper.streamName(slug), e.toString());
      }
    }
  }

  /** Creates the stream, or updates it when its limits or subjects differ; no-op when already in place. */
  void ensure(JetStreamManagement jsm, String slug) throws IOException, JetStreamApiException {
    if (ensured.contains(slug)) {
      return;
    }
    StreamConfiguration want = desired(slug);
    StreamInfo info = null;
    try {
      info = jsm.getStreamInfo(want.getName());
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
        throw e;
      }
    }
    String outcome;
    if (info == null) {
      jsm.addStream(want);
      outcome = "created";
    } else if (!same(info.getConfiguration(), want)) {
      jsm.updateStream(want);
      outcome = "updated";
    } else {
      outcome = "unchanged";
    }
    ensured.add(slug);
    LOG.info("op=nats.stream.provision outcome={} tenant={} stream={} max_bytes={} max_msgs={}", outcome, slug,
        want.getName(), want.getMaxBytes(), want.getMaxMsgs());
  }

  private static boolean same(StreamConfiguration have, StreamConfiguration want) {
    return new HashSet<>(have.getSubjects()).equals(new HashSet<>(want.getSubjects()))
        && have.getMaxBytes() == want.getMaxBytes()
        && have.getMaxMsgs() == want.getMaxMsgs()
        && Objects.equals(have.getMaxAge(), want.getMaxAge())
        && have.getMaxMsgSize() == want.getMaxMsgSize()
        && Objects.equals(have.getDuplicateWindow(), want.getDuplicateWindow())
        && have.getDiscardPolicy() == want.getDiscardPolicy()
        && have.getReplicas() == want.getReplicas();
  }
}
