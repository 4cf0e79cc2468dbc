#!/bin/sh
# The federation audit's CLI runs `sh run-gateway.sh <suite id>` once per suite and stops it after.
# It starts our plain gateway (gateway/src/plain) on that suite's supergraph, served by the audit;
# federation-audit.test.ts sets the variables below.
set -eu
suite="$1"
supergraph="$FEDERATION_AUDIT_WORK/$suite.graphql"
node -e '
  const [url, file] = process.argv.slice(1);
  fetch(url).then(async (res) => {
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    require("node:fs").writeFileSync(file, await res.text());
  }).catch((error) => { console.error(String(error)); process.exit(1); });
' "http://127.0.0.1:$FEDERATION_AUDIT_PORT/$suite/supergraph" "$supergraph"
# exec: the CLI's stop signal reaches the gateway itself, which shuts down gracefully.
SUPERGRAPH_PATH="$supergraph" exec node "$FEDERATION_AUDIT_GATEWAY"
