package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StrictFramingTest {

  @Test
  void noTransferEncodingIsNotThisChecksBusiness() {
    assertNull(StrictFraming.problem(HttpVersion.HTTP_1_1, List.of(), true));
    assertNull(StrictFraming.problem(HttpVersion.HTTP_1_0, List.of(), false));
  }

  @ParameterizedTest
  @ValueSource(strings = {"chunked", "Chunked", " chunked ", "chunked,", ", chunked"})
  void chunkedAloneIsUnambiguous(String te) {
    assertNull(StrictFraming.problem(HttpVersion.HTTP_1_1, List.of(te), false));
  }

  @Test
  void transferEncodingWithContentLengthIsRefused() {
    assertNotNull(StrictFraming.problem(HttpVersion.HTTP_1_1, List.of("chunked"), true));
  }

  @Test
  void transferEncodingInHttp10IsRefused() {
    assertNotNull(StrictFraming.problem(HttpVersion.HTTP_1_0, List.of("chunked"), false));
  }

  @ParameterizedTest
  @ValueSource(strings = {"chunked, identity", "xchunked", "identity", "gzip, chunked", "chunked, chunked", "", " "})
  void anythingButExactlyChunkedIsRefused(String te) {
    assertNotNull(StrictFraming.problem(HttpVersion.HTTP_1_1, List.of(te), false));
  }

  @Test
  void chunkedInTwoFieldsIsRefused() {
    assertNotNull(StrictFraming.problem(HttpVersion.HTTP_1_1, List.of("chunked", "chunked"), false));
  }
}
