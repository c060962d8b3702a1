package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentityHeadersTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "X-Tenant-Id", "x-tenant-id", "X-TENANT-ID", "x-tenant-anything", "X-Tenant-Slug", "X-Tenant-Assertion",
      "X-Partition-Id", "x-partition-id", "X-PARTITION-ID",
      "X-Component-Type", "X-Component-Id", "x-component-whatever",
      "X-Client-Cert-Sha256", "X-Client-Cert", "x-client-cert-chain", "X-Client-Certificate",
      "X-Forwarded-Client-Cert", "x-forwarded-client-cert",
      "Client-Cert", "client-cert", "Client-Cert-Chain", "CLIENT-CERT-CHAIN",
      "X-SSL-Client-Cert", "x-ssl-client-verify", "X-Client-Verify",
  })
  void claimsOfIdentityAreIdentityHeadersInAnyCase(String name) {
    assertTrue(IdentityHeaders.isIdentityHeader(name), name);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Accept", "X-Request-Id", "Authorization", "traceparent", "Content-Type", "Cookie", "Host",
      "X-Forwarded-For", "X-Tenantgate-Debug",
  })
  void ordinaryHeadersAreNot(String name) {
    assertFalse(IdentityHeaders.isIdentityHeader(name), name);
  }

  @Test
  void everyStampedHeaderIsItselfAnIdentityHeader() {
    for (String name : List.of(IdentityHeaders.TENANT_ID, IdentityHeaders.TENANT_SLUG, IdentityHeaders.PARTITION_ID,
        IdentityHeaders.COMPONENT_ID, IdentityHeaders.COMPONENT_TYPE, IdentityHeaders.CLIENT_CERT_SHA256,
        IdentityHeaders.XFCC, IdentityHeaders.TENANT_ASSERTION)) {
      assertTrue(IdentityHeaders.isIdentityHeader(name), name);
      assertTrue(name.equals(name.toLowerCase(java.util.Locale.ROOT)), name + " must be lowercase for HTTP/2");
    }
  }
}
