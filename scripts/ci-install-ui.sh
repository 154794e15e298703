#!/usr/bin/env bash
# Idempotent installs for the UI test layers (webview tests in chromium, extension-host tests and UI e2e in
# code-server). Safe to rerun: each step checks whether its result is already there.
# Usage: scripts/ci-install-ui.sh            (apt packages + code-server)
#        scripts/ci-install-ui.sh --apt-only | --code-server-only
set -euo pipefail
cd "$(dirname "$0")/.."

want_apt=1
want_cs=1
case "${1:-}" in
  --apt-only) want_cs=0 ;;
  --code-server-only) want_apt=0 ;;
esac

if [ "$want_apt" = 1 ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v rg >/dev/null || missing+=(ripgrep)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    # chromium runs the webview tests (never a downloaded browser); libkrb5-dev lets code-server's kerberos module
    # build; ripgrep stands in for the binary @vscode/ripgrep would otherwise download.
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

if [ "$want_cs" = 1 ]; then
  exec node scripts/install-code-server.mjs
fi
