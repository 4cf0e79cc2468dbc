# shellcheck shell=bash
# ---------------------------------------------------------------------------
# Podman, for `pnpm deploy:smoke` (scripts/deploy-smoke.sh): the containers run here without a
# Docker engine. Debian's podman 4.3 runs them as root with runc and cgroupfs, and only when no
# default ulimits are set (crun, or the default ulimits, fail with permission errors on these
# machines), so every podman call reads .infra/podman/containers.conf through CONTAINERS_CONF.
# Compose files run under podman-compose from PyPI, pinned in podman-compose-requirements.txt,
# in a venv under .infra/podman-compose (warm runs cost nothing).
# ---------------------------------------------------------------------------
PODMAN_DIR="$INFRA_DIR/podman"
PODMAN_COMPOSE_VENV="$INFRA_DIR/podman-compose"
PODMAN_COMPOSE_REQUIREMENTS="$REPO/scripts/infra/podman-compose-requirements.txt"

up_podman() {
  command -v podman >/dev/null && command -v runc >/dev/null || apt_install podman runc
  mkdir -p "$PODMAN_DIR"
  cat >"$PODMAN_DIR/containers.conf" <<'CONF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
  export CONTAINERS_CONF="$PODMAN_DIR/containers.conf"
  podman info >/dev/null || die "podman does not work here (podman info failed)"
}

up_podman_compose() {
  local stamp="$PODMAN_COMPOSE_VENV/requirements.sha256" want
  want=$(sha256sum "$PODMAN_COMPOSE_REQUIREMENTS" | cut -d' ' -f1)
  if [ ! -x "$PODMAN_COMPOSE_VENV/bin/podman-compose" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    command -v python3 >/dev/null || apt_install python3
    python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
    log "podman-compose: installing into $PODMAN_COMPOSE_VENV"
    rm -rf "$PODMAN_COMPOSE_VENV"
    python3 -m venv "$PODMAN_COMPOSE_VENV" || die "python3 -m venv $PODMAN_COMPOSE_VENV failed"
    timeout 600 "$PODMAN_COMPOSE_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps \
      -r "$PODMAN_COMPOSE_REQUIREMENTS" || die "pip install of podman-compose failed"
    printf '%s' "$want" >"$stamp"
  fi
  PODMAN_COMPOSE="$PODMAN_COMPOSE_VENV/bin/podman-compose"
  "$PODMAN_COMPOSE" --version >/dev/null || die "podman-compose does not start"
}
