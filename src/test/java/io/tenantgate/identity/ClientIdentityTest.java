package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClientIdentityTest {

  private static final UUID TENANT = UUID.fromString("6f1c2d3e-4a5b-4c6d-8e7f-001122334455");

  @Test
  void ofPreparesTheStampedHeadersInOrder() {
    ClientIdentity id = ClientIdentity.of(TENANT, "acme", "site-1", "poller-7", "poller", "ab12", "f00d",
        "CN=poller-7.site-1.acme.serviceradar", "spiffe://serviceradar.local/poller/acme/site-1/poller-7", "ca5a");

    assertEquals(List.of(
        Map.entry(IdentityHeaders.TENANT_ID, TENANT.toString()),
        Map.entry(IdentityHeaders.TENANT_SLUG, "acme"),
        Map.entry(IdentityHeaders.PARTITION_ID, "site-1"),
        Map.entry(IdentityHeaders.COMPONENT_ID, "poller-7"),
        Map.entry(IdentityHeaders.COMPONENT_TYPE, "poller"),
        Map.entry(IdentityHeaders.CLIENT_CERT_SHA256, "ab12"),
        Map.entry(IdentityHeaders.XFCC, "Hash=ab12;Subject=\"CN=poller-7.site-1.acme.serviceradar\";"
            + "URI=spiffe://serviceradar.local/poller/acme/site-1/poller-7")), id.headers());
    assertEquals("f00d", id.serialHex());
    assertEquals("ca5a", id.caSpkiSha256());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '\0', value = {
      "CN=a.b.serviceradar          | Hash=ff;Subject=\"CN=a.b.serviceradar\"",
      "CN=a.b.serviceradar,O=x\\\"y  | Hash=ff;Subject=\"CN=a.b.serviceradar,O=x\\\\\\\"y\"",
      "CN=a.b.serviceradar,O=a\\,b   | Hash=ff;Subject=\"CN=a.b.serviceradar,O=a\\\\,b\"",
  })
  void xfccQuotesTheSubjectAndEscapesQuotesAndBackslashes(String subject, String xfcc) {
    assertEquals(xfcc, ClientIdentity.xfcc("ff", subject, null));
  }

  @Test
  void xfccAppendsTheSpiffeUriWhenThereIsOne() {
    assertEquals("Hash=ff;Subject=\"CN=x\";URI=spiffe://td/agent/t/p/c",
        ClientIdentity.xfcc("ff", "CN=x", "spiffe://td/agent/t/p/c"));
  }

  @Test
  void headersAreCopiedAndImmutable() {
    List<Map.Entry<String, String>> headers = new ArrayList<>(List.of(Map.entry("x-tenant-slug", "acme")));
    ClientIdentity id = new ClientIdentity(TENANT, "acme", "default", "agent-1", "agent", "ff", "1", "CN=x", null,
        "ca", headers);
    headers.clear();
    assertEquals(1, id.headers().size());
    assertThrows(UnsupportedOperationException.class, () -> id.headers().clear());
  }
}
