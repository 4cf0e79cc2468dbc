# shellcheck shell=bash
# ---------------------------------------------------------------------------
# Chromium, for the browser test of the order tracker (tests/e2e/tracker.test.ts).
# Debian's package, driven by playwright-core: a Playwright browser download would come
# from outside the package registries. CHROMIUM_PATH points the test at another build.
# ---------------------------------------------------------------------------
CHROMIUM_BIN=${CHROMIUM_PATH:-/usr/bin/chromium}

up_chromium() {
  [ -x "$CHROMIUM_BIN" ] && return
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file"
  fi
  if ! command -v apt-get >/dev/null; then
    warn "no $CHROMIUM_BIN and no apt-get: install Chromium and set CHROMIUM_PATH for the tracker's browser test"
    return
  fi
  # Recommends would add printing, desktop and GPU packages a headless browser never uses.
  apt_install --no-install-recommends chromium fonts-liberation
  [ -x "$CHROMIUM_BIN" ] || die "apt-get install chromium did not provide $CHROMIUM_BIN"
  log "Chromium: $("$CHROMIUM_BIN" --version 2>/dev/null || echo installed)"
}
