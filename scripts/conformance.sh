#!/usr/bin/env bash
# Runs the OCI runtime-tools validation suite against a runtime with runc's command line and prints
# ok / not ok / skipped counts and the failing programs. The suite's sources come from Debian's
# source package at run time (never committed); everything is built and kept in build-conformance/.
# Usage: scripts/conformance.sh [--runtime PATH] [--jobs N] [--filter REGEX] [--timeout SECONDS]
#                               [--allow-failures N]
# Exits 0 when not-ok test points plus programs that exited non-zero are at most --allow-failures
# (default 0), 1 when more, 2 when the suite could not be prepared. Must run as root.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/build-conformance"
src_pkg=golang-github-opencontainers-runtime-tools
gopath="$out/gopath"
tree="$gopath/src/github.com/opencontainers/runtime-tools"
tap_dir="$gopath/src/github.com/mndrix/tap-go"
bin="$out/bin"

runtime=""
jobs=1
filter=""
timeout_s=300
allow_failures=0

die() {
  echo "conformance: $*" >&2
  exit 2
}

usage() {
  sed -n '5,6s/^# //p' "$0"
  exit "${1:-2}"
}

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --runtime) runtime="${2:?--runtime needs a path}"; shift 2 ;;
      --jobs) jobs="${2:?--jobs needs a number}"; shift 2 ;;
      --filter) filter="${2:?--filter needs a regex}"; shift 2 ;;
      --timeout) timeout_s="${2:?--timeout needs seconds}"; shift 2 ;;
      --allow-failures) allow_failures="${2:?--allow-failures needs a number}"; shift 2 ;;
      -h | --help) usage 0 ;;
      *) echo "conformance: unknown argument $1" >&2; usage ;;
    esac
  done
  if [ -z "$runtime" ]; then
    runtime="$repo/build/src/cmd/berth-runtime/berth-runtime"
    [ -x "$runtime" ] || runtime=runc
  fi
  runtime="$(command -v "$runtime")" || die "runtime $runtime not found"
  runtime="$(realpath "$runtime")"
}

# Private apt configuration with deb-src entries, so the machine's sources stay untouched.
apt_opts=()
setup_private_apt() {
  local apt_dir="$out/apt"
  mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  cat >"$apt_dir/parts/deb-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm trixie sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/parts"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
    -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" -qq update
}

# Prints "version sha256 file" for each version of the source package's upstream tarball.
orig_tarballs() {
  apt-cache "${apt_opts[@]}" showsrc "$src_pkg" | awk '
    /^Version:/ { version = $2 }
    /^Checksums-Sha256:/ { in_sums = 1; next }
    /^[^ ]/ { in_sums = 0 }
    in_sums && $3 ~ /\.orig\.tar\./ { print version, $1, $3 }' | sort -u | sort -r -V
}

# Downloads the newest upstream tarball the archive serves whose sha256 matches the signed index,
# and unpacks it into the GOPATH. Debian's binary package leaves out validation/ and cmd/.
fetch_sources() {
  if [ -f "$tree/.debian-version" ]; then return; fi
  setup_private_apt
  local dl="$out/download" version sum file
  mkdir -p "$dl"
  while read -r version sum file; do
    (cd "$dl" && apt-get "${apt_opts[@]}" -qq source --download-only "$src_pkg=$version" \
      >/dev/null 2>&1) || true
    if [ -f "$dl/$file" ] && echo "$sum  $dl/$file" | sha256sum --check --status; then
      rm -rf "$tree" "$out/unpack"
      mkdir -p "$out/unpack" "$(dirname "$tree")"
      tar -xf "$dl/$file" -C "$out/unpack"
      mv "$out/unpack"/*/ "$tree"
      rmdir "$out/unpack"
      [ -d "$tree/validation" ] || die "$file has no validation/ directory"
      echo "$version" >"$tree/.debian-version"
      echo "conformance: using $src_pkg $version sources"
      return
    fi
  done < <(orig_tarballs)
  die "no upstream tarball of $src_pkg could be downloaded from the Debian archive"
}

validation_names() {
  (cd "$tree" && find validation -name '*.go' ! -path 'validation/util/*' -printf '%f\n') |
    sed 's/\.go$//' | sort
}

# Builds runtimetest (static, it runs inside the bundle) and every validation program the way
# runtime-tools' Makefile does, against Debian's Go packages in GOPATH mode with no network.
build_programs() {
  mkdir -p "$tap_dir" "$bin"
  cmp -s "$repo/scripts/conformance/tap/tap.go" "$tap_dir/tap.go" ||
    cp "$repo/scripts/conformance/tap/tap.go" "$tap_dir/tap.go"
  local key stamp="$bin/.build-key" name missing=0
  key="$(cat "$tree/.debian-version"; go version; sha256sum "$tap_dir/tap.go")"
  for name in runtimetest $(validation_names | sed 's/$/.t/'); do
    [ -x "$bin/$name" ] || missing=1
  done
  if [ "$missing" = 0 ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then return; fi
  echo "conformance: building validation programs into $bin"
  export GOPATH="$gopath:/usr/share/gocode" GO111MODULE=off GOPROXY=off GOFLAGS=
  export GOCACHE="$out/gocache"
  (cd "$tree" &&
    go build -tags "netgo osusergo" -ldflags "-extldflags -static" -o "$bin/runtimetest" \
      ./cmd/runtimetest) || die "build runtimetest failed"
  for name in $(validation_names); do
    (cd "$tree" && go build -o "$bin/$name.t" "./validation/$name/$name.go") ||
      die "build validation/$name failed"
  done
  echo "$key" >"$stamp"
}

# Runs one validation program from the run directory (it reads ./runtimetest and
# ./rootfs-amd64.tar.gz from there) and keeps its TAP, stderr and exit status.
run_one() {
  local name="$1" log="$logs/$1"
  (cd "$run_dir" && RUNTIME="$runtime" TMPDIR="$tmp_dir" \
    timeout --kill-after=10 "$timeout_s" "$bin/$name.t" >"$log.tap" 2>"$log.err") &&
    echo 0 >"$log.rc" || echo $? >"$log.rc"
}

# Some programs (linux_ns_itype sharing the host mount namespace) leave the runtime's proc, dev and
# sys mounts behind in their bundle; unmount them before the bundles are removed.
remove_bundles() {
  local mnt
  awk -v dir="$1/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r mnt; do umount -l "$mnt" || die "umount $mnt failed"; done
  rm -rf --one-file-system "$1"
}

run_tests() {
  run_dir="$out/run"
  tmp_dir="$out/tmp-$runtime_name"
  logs="$out/logs/$runtime_name"
  remove_bundles "$tmp_dir"
  mkdir -p "$run_dir" "$tmp_dir"
  rm -rf "$logs" && mkdir -p "$logs"
  cmp -s "$bin/runtimetest" "$run_dir/runtimetest" || cp "$bin/runtimetest" "$run_dir/runtimetest"
  cp -u "$tree/rootfs-amd64.tar.gz" "$run_dir/"
  mapfile -t names < <(validation_names | grep -E -- "${filter:-.}" || true)
  [ ${#names[@]} -gt 0 ] || die "no validation program matches '$filter'"
  echo "conformance: running ${#names[@]} programs against $runtime ($jobs at a time)"
  # Cgroup tests share fixed cgroup paths, so they never run beside each other.
  local name serial=() parallel=()
  for name in "${names[@]}"; do
    case "$name" in
      linux_cgroups_* | delete_resources) serial+=("$name") ;;
      *) parallel+=("$name") ;;
    esac
  done
  export runtime run_dir tmp_dir logs bin timeout_s
  export -f run_one
  if [ ${#parallel[@]} -gt 0 ]; then
    # shellcheck disable=SC2016 # "$1" is expanded by the inner shell
    printf '%s\n' "${parallel[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {}
  fi
  for name in "${serial[@]}"; do run_one "$name"; done
  remove_bundles "$tmp_dir"
}

# Writes the combined TAP (each program as an indented subtest) and prints the summary.
summarize() {
  local tap="$out/results-$runtime_name.tap" name log rc ok not_ok skip todo n=0
  local total_ok=0 total_not_ok=0 total_skip=0 total_todo=0 incomplete=0 failing=()
  {
    echo "TAP version 13"
    echo "# runtime: $runtime ($("$runtime" --version 2>/dev/null | head -n1))"
    echo "# suite: $src_pkg $(cat "$tree/.debian-version")"
  } >"$tap"
  for name in "${names[@]}"; do
    log="$logs/$name"
    rc="$(cat "$log.rc")"
    ok="$(grep -c '^ok ' "$log.tap" || true)"
    not_ok="$(grep '^not ok ' "$log.tap" | grep -vc '# TODO' || true)"
    todo="$(grep '^not ok ' "$log.tap" | grep -c '# TODO' || true)"
    skip="$(grep -c '^ok .*# SKIP' "$log.tap" || true)"
    total_ok=$((total_ok + ok)) total_not_ok=$((total_not_ok + not_ok))
    total_skip=$((total_skip + skip)) total_todo=$((total_todo + todo))
    local status="ok" note=""
    # A program may pass by exiting 0 without TAP output (the *_fail programs expecting an error).
    if [ "$rc" != 0 ]; then
      incomplete=$((incomplete + 1)) status="not ok"
      note="exit status $rc"
      if [ "$rc" = 124 ]; then note+=", timed out after ${timeout_s}s"; fi
      failing+=("$name ($note)")
    elif [ "$not_ok" -gt 0 ]; then
      status="not ok" note="$not_ok not ok"
      failing+=("$name ($note)")
    fi
    n=$((n + 1))
    {
      echo "# Subtest: $name"
      sed 's/^/    /' "$log.tap"
      [ -s "$log.err" ] && sed 's/^/    # stderr: /' "$log.err"
      echo "$status $n - $name${note:+ # $note}"
    } >>"$tap"
  done
  echo "1..$n" >>"$tap"

  echo
  echo "runtime:  $runtime"
  echo "programs: $n run, $((n - ${#failing[@]})) clean, ${#failing[@]} failing" \
    "($incomplete exited non-zero)"
  echo "points:   $((total_ok + total_not_ok + total_todo)) total, $total_ok ok" \
    "(of which $total_skip skipped), $total_not_ok not ok, $total_todo todo"
  if [ ${#failing[@]} -gt 0 ]; then
    echo "failing programs:"
    printf '  %s\n' "${failing[@]}"
  fi
  echo "full TAP: $tap"
  [ $((total_not_ok + incomplete)) -le "$allow_failures" ]
}

main() {
  parse_args "$@"
  [ "$(id -u)" = 0 ] || die "must run as root"
  "$repo/scripts/install-deps.sh" --conformance
  runtime_name="$(basename "$runtime")"
  fetch_sources
  build_programs
  run_tests
  summarize
}

main "$@"
