# shellcheck shell=bash
# ---------------------------------------------------------------------------
# The Guild's federation-gateway-audit (third-party, MIT), run by
# tests/federation-audit/federation-audit.test.ts. It is not part of this repository: it is read
# from ../shared/federation-gateway-audit (beside the checkout; FEDERATION_AUDIT_SOURCE elsewhere),
# copied unchanged to .infra/federation-audit/audit, and only its `dependencies`, its `graphql`
# peer and `tsx` (at the versions of its own lockfile) are installed with npm, in
# .infra/federation-audit/node_modules; its devDependencies (other gateways) are never installed.
# A copy whose stamp matches the source and this file is left alone (a warm run costs nothing).
#
# Sourced by infra-up.sh (`--test-tools`); `bash scripts/infra/federation-audit.sh` runs it alone.
# ---------------------------------------------------------------------------
FEDERATION_AUDIT_SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

up_federation_audit() {
  [ -n "${INFRA_DIR:-}" ] || die "INFRA_DIR is not set (source scripts/infra/common.sh first)"
  local FEDERATION_AUDIT_DIR="$INFRA_DIR/federation-audit"
  local source=${FEDERATION_AUDIT_SOURCE:-$REPO/../shared/federation-gateway-audit}
  [ -f "$source/src/cli.ts" ] || die "federation-gateway-audit not found at $source (set FEDERATION_AUDIT_SOURCE)"
  source=$(cd "$source" && pwd)
  local stamp="$FEDERATION_AUDIT_DIR/source.sha256" want
  want=$( (cd "$source" && find . -type f -not -path './node_modules/*' -print0 | sort -z | xargs -0 sha256sum
    sha256sum "$FEDERATION_AUDIT_SCRIPT" | cut -d' ' -f1) | sha256sum | cut -d' ' -f1)
  if [ -d "$FEDERATION_AUDIT_DIR/node_modules/tsx" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return; fi
  command -v npm >/dev/null || die "npm is required for the federation audit"
  log "federation audit: copying $source and installing its dependencies into $FEDERATION_AUDIT_DIR"
  rm -rf "$FEDERATION_AUDIT_DIR"
  mkdir -p "$FEDERATION_AUDIT_DIR"
  (cd "$source" && tar --exclude=./node_modules -cf - .) | (cd "$FEDERATION_AUDIT_DIR" && mkdir audit && tar -C audit -xf -)
  chmod -R u+w "$FEDERATION_AUDIT_DIR/audit"
  # The audit's own package.json stays as it is; the runtime's sits one level up, where Node's
  # resolution from audit/src finds it.
  (cd "$FEDERATION_AUDIT_DIR" && node -e '
    const { readFileSync, writeFileSync } = require("node:fs");
    const audit = JSON.parse(readFileSync("audit/package.json", "utf8"));
    const locked = JSON.parse(readFileSync("audit/package-lock.json", "utf8")).packages;
    const wanted = { ...audit.dependencies, graphql: audit.devDependencies.graphql, tsx: audit.devDependencies.tsx };
    const dependencies = Object.fromEntries(
      Object.entries(wanted).map(([name, range]) => [name, locked[`node_modules/${name}`]?.version ?? range]),
    );
    writeFileSync("package.json", JSON.stringify({ name: "federation-audit-runtime", private: true, dependencies }, null, 2));
  ') || die "cannot read the audit's package.json"
  (cd "$FEDERATION_AUDIT_DIR" && timeout 600 npm install --no-audit --no-fund --ignore-scripts --loglevel=error) \
    || die "npm install of the federation audit's dependencies failed"
  printf '%s' "$want" >"$stamp"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  # shellcheck source=scripts/infra/common.sh
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
  up_federation_audit
fi
