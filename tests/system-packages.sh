#!/usr/bin/env bash
# The Debian packages of the servers the tests start on their own, each on a free port of 127.0.0.1 and
# stopped afterwards: PostgreSQL (a throwaway cluster, initdb in a temporary folder) and Redis; and Debian's
# headless Chromium, which the tracker's browser tests drive (they never download a browser). Arguments
# name more commands to have (`wrk` for make bench). Missing packages are installed when this runs as root
# (or with password-less sudo); otherwise one line says what to install, and make stops.
set -euo pipefail

needed=()
have_initdb() {
  [[ -n "${LEADCAPTURE_PG_BIN:-}" && -x "${LEADCAPTURE_PG_BIN}/initdb" ]] ||
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null
}
have_initdb || needed+=(postgresql)
command -v redis-server >/dev/null || needed+=(redis-server)
# openssl makes the throwaway certificates of the TLS tests.
command -v openssl >/dev/null || needed+=(openssl)
# Debian's headless Chromium, which the browser tests drive (the tests never download a browser).
[[ -x /usr/bin/chromium ]] || needed+=(chromium)
for command in "$@"; do
  command -v "$command" >/dev/null || needed+=("$command")
done
((${#needed[@]})) || exit 0

if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "make: the tests need Debian packages ${needed[*]}: run 'sudo apt-get install ${needed[*]}' (or make as root)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "make: the tests need ${needed[*]} (Debian package names): install them with this system's package manager" >&2
  exit 1
fi
echo "make: installing Debian packages ${needed[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
