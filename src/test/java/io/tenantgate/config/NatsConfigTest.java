package io.tenantgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code nats:} section's derived limits: the send queue's byte bound and the WebSocket message limit. */
class NatsConfigTest {

  private static NatsConfig parse(Map<String, Object> nats, List<String> problems) {
    return NatsConfig.parse(new Node(new ObjectMapper().valueToTree(nats), "nats", problems));
  }

  @Test
  void theSendQueueIsBoundedInBytesByDefaultAndScalesWithTheLargestPayload() {
    assertEquals(16L * 1024 * 1024, NatsConfig.defaults().maxOutgoingBytes());
    List<String> problems = new ArrayList<>();
    NatsConfig big = parse(Map.of("publish", Map.of("maxPayload", "8MiB")), problems);
    assertEquals(List.of(), problems);
    assertEquals(32L * 1024 * 1024, big.maxOutgoingBytes(), "4 x maxPayload");
    assertEquals(1024 * 1024, parse(Map.of("maxOutgoingBytes", "1MiB"), problems).maxOutgoingBytes());
  }

  @Test
  void aByteBoundThatCouldNotHoldTwoLargestMessagesIsRefused() {
    List<String> problems = new ArrayList<>();
    parse(Map.of("maxOutgoingBytes", "1MiB", "publish", Map.of("maxPayload", "1MiB")), problems);
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("nats.maxOutgoingBytes"), problems.get(0));
  }

  @Test
  void theWebSocketLimitFitsTheLargestPayloadAsBase64InItsJson() {
    NatsConfig d = NatsConfig.defaults();
    long b64 = (d.publish().maxPayload() + 2) / 3 * 4;
    assertTrue(d.maxWebSocketMessageSize() >= b64 + 1024, "room for the envelope: " + d.maxWebSocketMessageSize());
    assertEquals(1_398_104 + 64 * 1024, d.maxWebSocketMessageSize());
    NatsConfig small = parse(Map.of("publish", Map.of("maxPayload", "1KiB")), new ArrayList<>());
    assertEquals(256 * 1024, small.maxWebSocketMessageSize(), "never below Vert.x's default");
  }
}
