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
  command -v ip >/dev/null || apt_install iproute2
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

# pin_bridge_addresses NETWORK...: netavark before 1.10 (Debian's is 1.4) leaves a network's bridge
# with the kernel's default address, the lowest of its ports', which changes as containers join. A
# container that learned the old one sends what it sends to the bridge's own address (podman's DNS)
# into nothing until its ARP entry expires, a minute or more (netavark 730e1bff, RHEL-14309; here:
# the load balancer's lookups all timed out for 30 s once the gateways joined: ci49, ci70, ci77).
# Setting the address the bridge has now fixes it, as netavark 1.10 does when it makes a bridge.
# A network's bridge exists from its first container on; a bridge already fixed is left alone.
pin_bridge_addresses() {
  local network bridge
  for network in "$@"; do
    bridge=$(podman network inspect --format '{{.NetworkInterface}}' "$network" 2>/dev/null) || continue
    [ -e "/sys/class/net/$bridge" ] || continue
    # 3 is NET_ADDR_SET: an address set by hand, which the kernel keeps.
    [ "$(cat "/sys/class/net/$bridge/addr_assign_type")" = 3 ] && continue
    ip link set dev "$bridge" address "$(cat "/sys/class/net/$bridge/address")" ||
      die "cannot fix the address of $network's bridge $bridge (ip link set, as root)"
  done
}
