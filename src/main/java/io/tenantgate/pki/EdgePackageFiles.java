package io.tenantgate.pki;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The text files inside an {@link EdgePackage}: the ServiceRadar config (one tree, written as YAML
 * and as JSON), {@code install.sh} and the README. Every value placed in the script has been
 * validated by {@link EdgePackage.Contents} to a shell-safe character set.
 */
final class EdgePackageFiles {

  static final String CERT_FILE = "certs/component.pem";
  static final String KEY_FILE = "certs/component-key.pem";
  static final String CA_FILE = "certs/ca-chain.pem";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final YAMLMapper YAML = YAMLMapper.builder()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .build();

  private EdgePackageFiles() {
  }

  /** ServiceRadar's keys plus the tenant's; paths point into the install directory. */
  static ObjectNode config(EdgePackage.Contents c) {
    ObjectNode root = JSON.createObjectNode()
        .put("component_type", c.componentType())
        .put("agent_id", c.componentId())
        .put("gateway_addr", c.gatewayAddr());
    ObjectNode security = root.putObject("gateway_security")
        .put("mode", "mtls")
        .put("server_name", c.serverName());
    security.putObject("tls")
        .put("cert_file", c.installDir() + "/" + CERT_FILE)
        .put("key_file", c.installDir() + "/" + KEY_FILE)
        .put("ca_file", c.installDir() + "/" + CA_FILE);
    root.put("partition", c.partitionId())
        .put("tenant_id", c.tenantId().toString())
        .put("tenant_slug", c.tenantSlug());
    root.putObject("nats").put("subject_prefix", c.subjectPrefix());
    return root;
  }

  static String configJson(EdgePackage.Contents c) {
    try {
      return JSON.writeValueAsString(config(c)) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write config.json", e);
    }
  }

  static String configYaml(EdgePackage.Contents c) {
    try {
      return YAML.writeValueAsString(config(c));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write config.yaml", e);
    }
  }

  static String installScript(EdgePackage.Contents c) {
    return INSTALL_SH
        .replace("@PACKAGE@", EdgePackage.directoryName(c.packageId()))
        .replace("@CN@", c.commonName())
        .replace("@TENANT@", c.tenantSlug())
        .replace("@INSTALL_DIR@", c.installDir());
  }

  static String readme(EdgePackage.Contents c) {
    String dir = EdgePackage.directoryName(c.packageId());
    return README
        .replace("@PACKAGE@", dir)
        .replace("@CN@", c.commonName())
        .replace("@COMPONENT@", c.componentId())
        .replace("@TYPE@", c.componentType())
        .replace("@PARTITION@", c.partitionId())
        .replace("@TENANT@", c.tenantSlug())
        .replace("@TENANT_ID@", c.tenantId().toString())
        .replace("@GATEWAY@", c.gatewayAddr())
        .replace("@SERVER_NAME@", c.serverName())
        .replace("@NOT_AFTER@", c.leaf().getNotAfter().toInstant().toString())
        .replace("@INSTALL_DIR@", c.installDir());
  }

  private static final String INSTALL_SH = """
      #!/bin/sh
      # tenantgate @PACKAGE@: installs the certificate, key and config of
      # @CN@ (tenant @TENANT@). Safe to run again.
      #   INSTALL_DIR    where to install (default @INSTALL_DIR@; root is needed for the default)
      #   INSTALL_OWNER  user[:group] to own the installed files (e.g. the agent's service user)
      set -eu

      if [ -z "${INSTALL_DIR:-}" ]; then
        if [ "$(id -u)" != 0 ]; then
          echo "install.sh: installing to @INSTALL_DIR@ needs root: run 'sudo sh install.sh'," >&2
          echo "install.sh: or set INSTALL_DIR to install somewhere else" >&2
          exit 1
        fi
        INSTALL_DIR='@INSTALL_DIR@'
      fi
      PACKAGE_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

      tmp=''
      trap 'if [ -n "$tmp" ]; then rm -f "$tmp"; fi' EXIT

      make_dir() {
        if [ -d "$1" ]; then
          echo "exists    $1"
        else
          mkdir -p "$1"
          echo "created   $1"
        fi
      }

      # install_file <path in package> <destination> <mode>: copy, then rename into place
      install_file() {
        if [ -f "$2" ] && command -v cmp >/dev/null 2>&1 && cmp -s "$PACKAGE_DIR/$1" "$2"; then
          chmod "$3" "$2"
          echo "unchanged $2 (mode $3)"
          return 0
        fi
        tmp="$2.tmp.$$"
        cp "$PACKAGE_DIR/$1" "$tmp"
        chmod "$3" "$tmp"
        mv -f "$tmp" "$2"
        tmp=''
        echo "installed $2 (mode $3)"
      }

      umask 022
      make_dir "$INSTALL_DIR/certs"
      make_dir "$INSTALL_DIR/config"
      # the key is never readable by others, not even while it is being copied
      umask 077
      install_file certs/component.pem "$INSTALL_DIR/certs/component.pem" 0644
      install_file certs/component-key.pem "$INSTALL_DIR/certs/component-key.pem" 0600
      install_file certs/ca-chain.pem "$INSTALL_DIR/certs/ca-chain.pem" 0644
      install_file config/config.yaml "$INSTALL_DIR/config/config.yaml" 0644
      install_file config/config.json "$INSTALL_DIR/config/config.json" 0644

      if [ -n "${INSTALL_OWNER:-}" ]; then
        for f in certs/component.pem certs/component-key.pem certs/ca-chain.pem \\
            config/config.yaml config/config.json; do
          chown "$INSTALL_OWNER" "$INSTALL_DIR/$f"
        done
        echo "owner     $INSTALL_OWNER for the files above"
      fi
      echo "done: @CN@ installed in $INSTALL_DIR"
      """;

  private static final String README = """
      # tenantgate onboarding package `@PACKAGE@`

      Onboarding package for component `@COMPONENT@` (type `@TYPE@`, partition `@PARTITION@`)
      of tenant `@TENANT@` (`@TENANT_ID@`).

      - Identity (certificate CN): `@CN@`
      - Gateway: `@GATEWAY@`, mutual TLS, server name `@SERVER_NAME@`
      - Certificate valid until: @NOT_AFTER@

      ## Contents

      | File | What it is |
      | --- | --- |
      | `certs/component.pem` | the component certificate, issued by the tenant CA |
      | `certs/component-key.pem` | its private key (PKCS#8 PEM), **secret** |
      | `certs/ca-chain.pem` | the tenant CA, then the platform root |
      | `config/config.yaml` | agent configuration (ServiceRadar keys) |
      | `config/config.json` | the same configuration as JSON |
      | `install.sh` | copies the files above into place |

      ## Install

          tar xzf @PACKAGE@.tar.gz
          cd @PACKAGE@
          sudo sh install.sh

      This installs the certificates to `@INSTALL_DIR@/certs` (the key with mode 0600) and the
      configuration to `@INSTALL_DIR@/config`, and prints each file it installs. Running it again
      is safe. To install elsewhere, set `INSTALL_DIR` (root is then not required):
      `INSTALL_DIR=$HOME/serviceradar sh install.sh`. If the agent does not run as root, hand it
      the files: `sudo INSTALL_OWNER=serviceradar sh install.sh`.

      ## Keep the key secret

      `certs/component-key.pem` is this component's identity: whoever holds it can connect as
      `@CN@`.
      Do not copy it anywhere else, and delete this directory and the `.tar.gz` once installed.
      If the key leaks, ask your administrator to revoke the certificate.

      ## Verify

          openssl verify -CAfile certs/ca-chain.pem certs/component.pem
          openssl x509 -in certs/component.pem -noout -subject -enddate

      The first command must print `certs/component.pem: OK`.
      """;
}
