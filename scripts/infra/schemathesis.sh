# shellcheck shell=bash
# ---------------------------------------------------------------------------
# schemathesis, the OpenAPI fuzzer of tests/e2e/schemathesis.test.ts: a Python venv in
# .infra/schemathesis with the exact packages of schemathesis-requirements.txt from PyPI.
# A venv whose stamp matches the requirements file is left alone (a warm run costs nothing).
# ---------------------------------------------------------------------------
SCHEMATHESIS_VENV="$INFRA_DIR/schemathesis"
SCHEMATHESIS_REQUIREMENTS="$REPO/scripts/infra/schemathesis-requirements.txt"

up_schemathesis() {
  local stamp="$SCHEMATHESIS_VENV/requirements.sha256" want
  want=$(sha256sum "$SCHEMATHESIS_REQUIREMENTS" | cut -d' ' -f1)
  if [ -x "$SCHEMATHESIS_VENV/bin/st" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return; fi
  command -v python3 >/dev/null || apt_install python3
  # Debian splits ensurepip (needed by `python3 -m venv`) into python3-venv.
  python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  log "schemathesis: installing $(grep '^schemathesis==' "$SCHEMATHESIS_REQUIREMENTS") into $SCHEMATHESIS_VENV"
  rm -rf "$SCHEMATHESIS_VENV"
  python3 -m venv "$SCHEMATHESIS_VENV" || die "python3 -m venv $SCHEMATHESIS_VENV failed"
  timeout 600 "$SCHEMATHESIS_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps \
    -r "$SCHEMATHESIS_REQUIREMENTS" || die "pip install of schemathesis failed"
  "$SCHEMATHESIS_VENV/bin/st" --version >/dev/null || die "schemathesis does not start"
  printf '%s' "$want" >"$stamp"
}
