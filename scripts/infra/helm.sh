# shellcheck shell=bash
# ---------------------------------------------------------------------------
# Helm, for `pnpm helm:check` (deploy/helm/helm-chart.test.ts). No release binary can be downloaded
# here, so Helm is built from the Go module proxy, once, into .infra/bin/helm-$HELM_VERSION, with the
# link flags of Helm's own Makefile: its version, and the Kubernetes version its client libraries
# speak (the default of `--kube-version`). A binary that answers `helm version` is left alone.
#
# `bash scripts/infra/helm.sh` prints the binary's path on stdout (progress goes to stderr).
# HELM_BIN names another helm to use instead.
# ---------------------------------------------------------------------------
HELM_VERSION=v3.22.0

build_helm() { # build_helm VERSION TARGET
  set -euo pipefail
  local version=$1 target=$2 tmp gomod client_go
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # expand $tmp now: it is a local, gone when the EXIT trap runs
  trap "chmod -R u+w '$tmp' 2>/dev/null; rm -rf '$tmp'" EXIT
  cd "$tmp"
  gomod=$(go mod download -json "helm.sh/helm/v3@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  [ -f "$gomod" ] || { echo "go mod download did not give helm's go.mod"; exit 1; }
  # k8s.io/client-go v0.37.x speaks Kubernetes 1.37 (Helm's Makefile derives it the same way).
  client_go=$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod" | head -n 1)
  [ -n "$client_go" ] || { echo "no k8s.io/client-go in helm's go.mod"; exit 1; }
  CGO_ENABLED=0 GOBIN="$tmp/bin" go install -trimpath -ldflags "-w -s \
    -X helm.sh/helm/v3/internal/version.version=$version \
    -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$client_go \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$client_go" \
    "helm.sh/helm/v3/cmd/helm@$version"
  "$tmp/bin/helm" version --short
  mkdir -p "$(dirname "$target")"
  install -m 0755 "$tmp/bin/helm" "$target.new"
  mv -f "$target.new" "$target"
}

helm_works() { [ -x "$1" ] && "$1" version --short >/dev/null 2>&1; }

# Sets HELM_BIN: the one named by HELM_BIN, or the cached build (built now if missing).
up_helm() {
  [ -n "${INFRA_DIR:-}" ] || die "INFRA_DIR is not set (source scripts/infra/common.sh first)"
  if [ -n "${HELM_BIN:-}" ]; then
    helm_works "$HELM_BIN" || die "HELM_BIN=$HELM_BIN does not run"
    return
  fi
  HELM_BIN="$INFRA_DIR/bin/helm-$HELM_VERSION"
  helm_works "$HELM_BIN" && return
  command -v go >/dev/null || die "no Go toolchain to build Helm (expected /usr/local/go/bin/go)"
  mkdir -p "$LOG_DIR"
  # One build at a time (two test runs starting together wait for the first one's binary).
  exec 8>"$INFRA_DIR/helm-build.lock"
  if command -v flock >/dev/null; then flock -w 1200 8 || die "another Helm build kept $INFRA_DIR/helm-build.lock for 20 min"; fi
  if ! helm_works "$HELM_BIN"; then
    local start=$SECONDS
    log "building Helm $HELM_VERSION from the Go module proxy into $HELM_BIN (a few minutes the first time; log: $LOG_DIR/helm-build.log)"
    if ! timeout 1200 bash -c "$(declare -f build_helm); build_helm \"\$1\" \"\$2\"" _ \
      "$HELM_VERSION" "$HELM_BIN" >"$LOG_DIR/helm-build.log" 2>&1 </dev/null 8>&- 9>&-; then
      tail -n 30 "$LOG_DIR/helm-build.log" >&2 || true
      die "building Helm failed; full log: $LOG_DIR/helm-build.log"
    fi
    log "Helm built in $((SECONDS - start))s: $(tail -n 1 "$LOG_DIR/helm-build.log")"
  fi
  exec 8>&-
  helm_works "$HELM_BIN" || die "Helm was built but $HELM_BIN does not run"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  # shellcheck source=scripts/infra/common.sh
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
  up_helm >&2
  printf '%s\n' "$HELM_BIN"
fi
