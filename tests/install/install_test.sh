#!/usr/bin/env bash
# The installed changewatch works from its own files, with the source checkout out of reach.
#   tests/install/install_test.sh install SOURCE_DIR BUILD_DIR
#       `cmake --install BUILD_DIR` into a temporary prefix, which is then moved elsewhere;
#   tests/install/install_test.sh package SOURCE_DIR BUILD_DIR VERSION
#       cpack's changewatch_VERSION_amd64.deb from the existing build (no rebuild): its Depends
#       name the package of every shared library the binary needs, and `dpkg -x` of it is the tree;
#   tests/install/install_test.sh build SOURCE_DIR BUILD_DIR
#       the build folder's changewatch, as scripts/demo.sh prints it (source tree visible, no
#       --viewer): serve falls back to the source tree's viewer and the page is whole.
# For install and package, the tree's bin/changewatch then runs in a private mount namespace in which SOURCE_DIR (and the
# build folder inside it) is covered by an empty tmpfs, so nothing can come from the checkout:
# --version, simulate, run and serve must work, serve must say it serves the installed viewer,
# and the page must load every script and stylesheet it references and render tiles in Chromium
# (tests/install/page_assets.test.mjs). Serve must refuse, naming the cause, a tree without
# Leaflet and a binary without its share/ folder. Exit 77 (skipped) when mount namespaces are
# not available (not root).
set -euo pipefail
mode="$1" src="$(realpath "$2")" build="$(realpath "$3")" version="${4:-}"

fail() { echo "FAIL: $*" >&2; exit 1; }
if [ "$mode" != build ] && ! unshare --mount --propagation private true 2>/dev/null; then
  echo "SKIP: no mount namespace (unshare needs root); cannot hide the source tree" >&2
  exit 77
fi

tmp=$(mktemp -d /tmp/cw-install-test.XXXXXX)
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# $tmp/launch runs a command from $tmp; for an installed tree, in a mount namespace where the
# source tree is hidden. Every step execs into the next, so a launched serve's pid is $!.
if [ "$mode" = build ]; then
  printf '#!/bin/sh\ncd "$1" && shift && exec "$@"\n' >"$tmp/launch"
else
  cat >"$tmp/launch" <<EOF
#!/bin/sh
exec unshare --mount --propagation private sh -c 'mount -t tmpfs -o ro,size=1m cw-hidden-source "\$0" && cd "\$1" && shift && exec "\$@"' "$src" "\$@"
EOF
fi
chmod +x "$tmp/launch"
# Under the sanitizer build, LSAN_OPTIONS names a suppressions file in the source tree, which the
# namespace hides: give the launched binary a copy from $tmp.
if [[ "${LSAN_OPTIONS:-}" =~ suppressions=([^:]+) ]] && [ -f "${BASH_REMATCH[1]}" ]; then
  cp "${BASH_REMATCH[1]}" "$tmp/lsan.supp"
  export LSAN_OPTIONS="${LSAN_OPTIONS/${BASH_REMATCH[1]}/$tmp/lsan.supp}"
fi
hidden() { "$tmp/launch" "$tmp" "$@"; }

case "$mode" in
  install)
    cmake --install "$build" --prefix "$tmp/staged" >/dev/null
    mv "$tmp/staged" "$tmp/tree"
    prefix="$tmp/tree"
    ;;
  package)
    [ -n "$version" ] || fail "package needs VERSION"
    deb="$build/package/changewatch_${version}_amd64.deb"
    rm -f "$deb"
    (cd "$build" && cpack -G DEB >/dev/null 2>&1) || (cd "$build" && cpack -G DEB) || fail "cpack failed"
    [ -f "$deb" ] || fail "cpack did not write $deb"
    echo "ok - cpack wrote $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
    depends=$(dpkg-deb -f "$deb" Depends)
    echo "Depends: $depends"
    [ -n "$depends" ] || fail "the package has no Depends"
    dpkg-deb -x "$deb" "$tmp/tree"
    prefix="$tmp/tree/usr"
    # Every shared library the binary needs comes from a package named in Depends.
    for lib in $(objdump -p "$prefix/bin/changewatch" | awk '/NEEDED/ {print $2}'); do
      path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !n++ {print $NF}')
      [ -n "$path" ] || fail "$lib: not found by ldconfig"
      pkg=""
      for p in "$path" "$(realpath "$path")" "/usr$path" "/usr$(realpath "$path")"; do
        pkg=$(dpkg -S "$p" 2>/dev/null | awk -F: 'NR == 1 {print $1}') || true
        [ -n "$pkg" ] && break
      done
      [ -n "$pkg" ] || fail "$lib ($path): no Debian package owns it"
      echo "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -Fxq "$pkg" ||
        fail "$lib comes from $pkg, which Depends does not name"
    done
    echo "ok - Depends names the package of each of the $(objdump -p "$prefix/bin/changewatch" | grep -c NEEDED) libraries the binary needs"
    # `apt install ./changewatch_*.deb` on a fresh Debian 12: apt resolves the package against an
    # empty dpkg status (a machine with nothing installed), so every Depends, and every package
    # those pull in, must come from Debian's archive. --simulate installs nothing.
    : > "$tmp/empty-status"
    apt-get install --simulate -o Dir::State::status="$tmp/empty-status" "$(realpath "$deb")" \
      > "$tmp/apt.txt" 2>&1 || { cat "$tmp/apt.txt"; fail "apt cannot install the .deb on an empty system"; }
    grep -q "^Inst changewatch (${version} local-deb" "$tmp/apt.txt" || { cat "$tmp/apt.txt"; fail "apt did not plan to install changewatch"; }
    foreign=$(grep '^Inst ' "$tmp/apt.txt" | grep -v '^Inst changewatch ' | grep -v ' Debian' || true)
    [ -z "$foreign" ] || fail "packages from outside Debian's archive: $foreign"
    for dep in $(echo "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//'); do
      awk '$1 == "Inst" {print $2}' "$tmp/apt.txt" | grep -Fxq "$dep" || fail "apt's plan lacks the Depends $dep"
    done
    echo "ok - apt install of the .deb on an empty system resolves $(grep -c '^Inst ' "$tmp/apt.txt") packages, all from Debian's archive"
    ;;
  build)
    # What scripts/demo.sh prints: the build folder's changewatch, serve without --viewer.
    prefix=""
    ;;
  *) fail "unknown mode $mode" ;;
esac

if [ "$mode" = build ]; then
  cw="$build/changewatch" viewer="$src/viewer" origin="source tree"
else
  cw="$prefix/bin/changewatch" viewer="$prefix/share/changewatch/viewer" origin="installed"
  for f in bin/changewatch share/changewatch/viewer/index.html share/changewatch/viewer/app.js \
           share/changewatch/viewer/style.css share/changewatch/viewer/vendor/leaflet/leaflet.js \
           share/changewatch/viewer/vendor/leaflet/leaflet.css share/changewatch/viewer/vendor/leaflet/LICENSE \
           share/changewatch/configs/demo.yaml share/changewatch/configs/example.yaml; do
    [ -f "$prefix/$f" ] || fail "the tree has no $f"
  done
  echo "ok - the tree has bin/changewatch, the viewer with Leaflet, and the example configs"
  if hidden test -e "$src/CMakeLists.txt"; then fail "the source tree is still visible in the namespace"; fi
fi

version_line=$(hidden "$cw" --version)
echo "$version_line" | grep -q '^changewatch ' || fail "--version printed: $version_line"
echo "ok - --version: $version_line"

hidden "$cw" -q simulate --out "$tmp/sim" --size 512 --dates 3 >/dev/null
hidden "$cw" -q run "$tmp/sim/config.yaml" >/dev/null
[ -f "$tmp/sim/out/manifest.json" ] || fail "run left no manifest.json"
echo "ok - simulate and run made $tmp/sim/out ($(ls "$tmp/sim/out" | wc -l) entries)"

# No --viewer: serve must find the page by itself. Launched directly (a shell function would run
# in a subshell), so that the SIGINT below reaches serve.
"$tmp/launch" "$tmp" "$cw" serve "$tmp/sim/out" --port 0 >"$tmp/serve.log" 2>&1 &
serve_pid=$!
url=""
for _ in $(seq 1 200); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$tmp/serve.log" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || fail "serve exited: $(cat "$tmp/serve.log")"
  sleep 0.1
done
[ -n "$url" ] || fail "serve printed no URL: $(cat "$tmp/serve.log")"
grep -qF "changewatch serve: viewer $viewer ($origin)" "$tmp/serve.log" ||
  fail "serve did not say it serves $viewer ($origin): $(cat "$tmp/serve.log")"
echo "ok - $(grep 'serve: viewer' "$tmp/serve.log")"
node "$src/tests/install/page_assets.test.mjs" "$url" "$tmp/sim/out"
kill -INT "$serve_pid"
for _ in $(seq 1 100); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$serve_pid" 2>/dev/null && fail "serve still runs 10 s after SIGINT"
wait "$serve_pid" || fail "serve did not exit 0 on SIGINT: $(cat "$tmp/serve.log")"
serve_pid=""
echo "ok - serve stops on SIGINT with exit 0"

if [ "$mode" != build ]; then
  # Without Leaflet the page would be blank: serve refuses, naming it.
  mv "$viewer/vendor/leaflet/leaflet.js" "$tmp/leaflet.js"
  set +e
  msg=$(hidden "$cw" serve "$tmp/sim/out" --port 0 2>&1); code=$?
  set -e
  mv "$tmp/leaflet.js" "$viewer/vendor/leaflet/leaflet.js"
  [ "$code" = 2 ] && echo "$msg" | grep -qF "$viewer: Leaflet is missing" ||
    fail "serve without Leaflet: exit $code, $msg"
  echo "ok - without Leaflet serve exits 2: $msg"

  # A binary copied away from its share/ folder finds no viewer and says where it looked.
  mkdir -p "$tmp/lone/bin"
  cp "$cw" "$tmp/lone/bin/changewatch"
  set +e
  msg=$(hidden "$tmp/lone/bin/changewatch" serve "$tmp/sim/out" --port 0 2>&1); code=$?
  set -e
  [ "$code" = 2 ] && echo "$msg" | grep -qF "viewer not found: no $tmp/lone/share/changewatch/viewer/index.html" ||
    fail "serve without a viewer: exit $code, $msg"
  echo "ok - without its share/ folder serve exits 2: $msg"
fi
echo "all install checks passed ($mode)"
