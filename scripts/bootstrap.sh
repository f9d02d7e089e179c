#!/usr/bin/env bash
# Set up everything newsarchive needs on a fresh Debian/Ubuntu machine, idempotently:
# system packages (apt-get, only when something is missing), a virtual environment in
# .venv, and the project installed into it. Sourced by scripts/demo and scripts/test.
#   usage: scripts/bootstrap.sh [runtime|scale|test|bench]
# runtime: crawl, archive, export, serve, schedule (a SQLite catalog); scale: also the
# PostgreSQL catalog and the Redis frontier (the `scale` extra: psycopg, redis); test and
# bench: everything, plus what the tests or benchmarks use.
set -euo pipefail
NA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NA_PROFILE="${1:-runtime}"
NA_VENV="${NA_VENV:-$NA_ROOT/.venv}"

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

need_apt=()
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v gzip >/dev/null 2>&1 || need_apt+=(gzip)
if [ "$NA_PROFILE" = test ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)  # tests/test_serve.py renders the article page
  # tests/test_distributed.py, test_postgres_catalog.py: a real PostgreSQL and Redis (tests/services.py)
  { command -v pg_ctlcluster >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; } || need_apt+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
  # tests/test_replaywebpage.py: npm fetches ReplayWeb.page (the WACZ player) into .cache/
  command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
  command -v npm >/dev/null 2>&1 || need_apt+=(npm)
fi
if [ "$NA_PROFILE" = bench ]; then
  command -v nginx >/dev/null 2>&1 || need_apt+=(nginx-light)  # benchmarks/serve.py: a server never the bottleneck
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing system packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

python3 - <<'PY' || { echo "newsarchive needs Python >= 3.11 (found $(python3 --version))" >&2; exit 1; }
import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

if [ ! -x "$NA_VENV/bin/python" ]; then
  say "creating virtual environment $NA_VENV"
  python3 -m venv "$NA_VENV"
fi
case "$NA_PROFILE" in
  runtime) extras="" ;;
  scale|test|bench) extras="[$NA_PROFILE]" ;;
  *) echo "usage: scripts/bootstrap.sh [runtime|scale|test|bench]" >&2; exit 2 ;;
esac
stamp="$NA_VENV/.newsarchive-installed$extras"
want="$(cat "$NA_ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing newsarchive$extras into $NA_VENV"
  "$NA_VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$NA_VENV/bin/python" -m pip install -q -e "$NA_ROOT$extras"
  echo "$want" > "$stamp"
fi
# The `warcio` command of this environment decodes br and zstd records the way newsarchive
# does (warcio's own br decoder needs the brotlipy API): archive/warcio_hook.py.
"$NA_VENV/bin/python" -c "from archive.warcio_hook import write_pth; write_pth()"

# pywb (the replay test's reference player) pins redis==2.10.6, which the project's own
# redis client cannot share a virtual environment with: it gets one of its own.
if [ "$NA_PROFILE" = test ]; then
  NA_PYWB_VENV="${NA_PYWB_VENV:-$NA_ROOT/.venv-pywb}"
  if [ ! -x "$NA_PYWB_VENV/bin/wayback" ]; then
    say "installing pywb into $NA_PYWB_VENV"
    python3 -m venv "$NA_PYWB_VENV"
    "$NA_PYWB_VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$NA_PYWB_VENV/bin/python" -m pip install -q "pywb>=2.8"
  fi
fi

# ReplayWeb.page, the player tests/test_replaywebpage.py opens the exported WACZ in. Its npm
# package ships the built ui.js and sw.js, which are all the test serves: `npm pack` fetches
# just that tarball (checked against the registry's integrity hash). Not `npm install`: it
# would also resolve the package's build-time dependencies, and fails when one of them is
# missing from the registry (warcio@^2.4.12, a dependency of @webrecorder/wabac, is).
if [ "$NA_PROFILE" = test ]; then
  NA_RWP_VERSION=2.5.3
  NA_RWP_DIR="$NA_ROOT/.cache/replaywebpage"
  if ! grep -qs "\"version\": \"$NA_RWP_VERSION\"" "$NA_RWP_DIR/package/package.json"; then
    say "installing replaywebpage@$NA_RWP_VERSION into $NA_RWP_DIR"
    mkdir -p "$NA_RWP_DIR"
    rwp_tmp="$(mktemp -d "$NA_RWP_DIR/.install.XXXXXX")"
    ( cd "$rwp_tmp" && npm pack --silent "replaywebpage@$NA_RWP_VERSION" >/dev/null \
        && tar -xzf "replaywebpage-$NA_RWP_VERSION.tgz" ) || { rm -rf "$rwp_tmp"; exit 1; }
    rm -rf "$NA_RWP_DIR/package"
    mv "$rwp_tmp/package" "$NA_RWP_DIR/package"
    rm -rf "$rwp_tmp"
  fi
fi
