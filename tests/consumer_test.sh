#!/usr/bin/env bash
# Packaging test: mailproto as an application sees it.
#
#   tests/consumer_test.sh
#
# 1. configure + build mailproto (Release; tests, apps, examples off) and `cmake --install`
#    it into a temporary prefix; check the installed files, and that every installed
#    header compiles on its own with nothing but the prefix on the include path;
# 2. build tests/consumer against that prefix with find_package(mailproto 0.1) and run it;
#    check that find_package(mailproto 0.2) and (1.0) are refused (0.x: same minor only);
# 3. compile the same main.cpp with `pkg-config --cflags --libs mailproto` and run it;
# 4. build tests/consumer again with add_subdirectory(<source tree>) and run it.
# Exits non-zero at the first failure. It compiles the library twice: minutes, not seconds.
#
# Environment:
#   MAILPROTO_CONSUMER_WORKDIR  where to build and install (default: a fresh mktemp -d,
#                               removed on success)
#   MAILPROTO_CONSUMER_JOBS     parallel build jobs (default 2)
#   MAILPROTO_SKIP_MODULES      developers only: modules to leave out (e.g. "imap;pop3")
#   CXX                         the compiler, as CMake reads it
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
consumer_src="$here/consumer"
jobs=${MAILPROTO_CONSUMER_JOBS:-2}
skip=${MAILPROTO_SKIP_MODULES:-}

if [[ -n ${MAILPROTO_CONSUMER_WORKDIR:-} ]]; then
  work=$MAILPROTO_CONSUMER_WORKDIR
  keep=1
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/mailproto-consumer.XXXXXX")
  keep=0
fi
prefix="$work/prefix"
step=""

say() { printf '== consumer_test: %s\n' "$*"; }
fail() { printf '== consumer_test: FAILED: %s\n' "$*" >&2; exit 1; }
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    printf '== consumer_test: FAILED during "%s" (status %d); files kept in %s\n' "$step" "$rc" "$work" >&2
  elif [[ $keep -eq 0 ]]; then
    rm -rf "$work"
  fi
  exit "$rc"
}
trap on_exit EXIT
run() { printf '+ %s\n' "$*"; "$@"; }

common=(-DCMAKE_BUILD_TYPE=Release)
[[ -n $skip ]] && common+=("-DMAILPROTO_SKIP_MODULES=$skip") && say "leaving out modules: $skip"

say "work directory $work"

step="build mailproto"
say "$step (Release; tests, apps and examples off)"
rm -rf "$work/mailproto-build" "$prefix"
run cmake -S "$src" -B "$work/mailproto-build" "${common[@]}" \
  -DMAILPROTO_BUILD_TESTS=OFF -DMAILPROTO_BUILD_APPS=OFF -DMAILPROTO_BUILD_EXAMPLES=OFF \
  -DMAILPROTO_BUILD_FUZZ=OFF -DMAILPROTO_BUILD_BENCH=OFF -DMAILPROTO_INSTALL=ON
run cmake --build "$work/mailproto-build" -j "$jobs"

step="install mailproto"
say "$step into $prefix"
run cmake --install "$work/mailproto-build" --prefix "$prefix"
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$work/mailproto-build/CMakeCache.txt")
libdir=${libdir:-lib}
for f in include/mailproto/version.hpp include/mailproto/version_macros.hpp \
  include/mailproto/net/probe.hpp include/mailproto/testing/player.hpp \
  include/mailproto/detail/unique_function.hpp \
  "$libdir/cmake/mailproto/mailprotoConfig.cmake" \
  "$libdir/cmake/mailproto/mailprotoConfigVersion.cmake" \
  "$libdir/cmake/mailproto/mailprotoTargets.cmake" \
  "$libdir/pkgconfig/mailproto.pc"; do
  [[ -f "$prefix/$f" ]] || fail "not installed: $f"
  printf '   installed %s\n' "$f"
done
ls "$prefix/$libdir"/libmailproto.* >/dev/null 2>&1 || fail "no libmailproto in $prefix/$libdir"

step="installed headers"
say "$step: each one compiles on its own (-fsyntax-only, only the prefix on the include path)"
hdr_fail="$work/header-failures.txt"
: >"$hdr_fail"
# shellcheck disable=SC2016  # $1..$4 are expanded by the inner sh
(cd "$prefix/include" && find mailproto -name '*.hpp' | sort) |
  xargs -P "$jobs" -I{} sh -c 'printf "#include <%s>\n" "$1" |
    "$2" -std=c++20 -fsyntax-only -DASIO_SEPARATE_COMPILATION -DASIO_NO_DEPRECATED -DASIO_DISABLE_STD_ALIGNED_ALLOC \
      -I"$3" -x c++ - 2>"$4.$$" || { echo "$1" >>"$4"; cat "$4.$$" >&2; }; rm -f "$4.$$"' \
    sh {} "${CXX:-c++}" "$prefix/include" "$hdr_fail"
n_headers=$(cd "$prefix/include" && find mailproto -name '*.hpp' | wc -l)
if [[ -s $hdr_fail ]]; then
  fail "installed headers that do not compile on their own: $(tr '\n' ' ' <"$hdr_fail")"
fi
printf '   %d headers ok\n' "$n_headers"

step="consumer via find_package"
say "$step"
run cmake -S "$consumer_src" -B "$work/consumer-installed" -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_PREFIX_PATH=$prefix"
run cmake --build "$work/consumer-installed" -j "$jobs"
run "$work/consumer-installed/mailproto_consumer"

step="version compatibility"
say "$step: find_package(mailproto 0.2) and (1.0) must be refused"
for v in 0.2 1.0; do
  if cmake -S "$consumer_src" -B "$work/consumer-version-$v" "-DCMAKE_PREFIX_PATH=$prefix" \
    "-DMAILPROTO_CONSUMER_VERSION=$v" >"$work/consumer-version-$v.log" 2>&1; then
    fail "find_package(mailproto $v) accepted version 0.1 (see $work/consumer-version-$v.log)"
  fi
  grep -q 'mailproto' "$work/consumer-version-$v.log" || fail "unexpected error for $v"
  printf '   %s refused, as it should be\n' "$v"
done

step="consumer via pkg-config"
if command -v pkg-config >/dev/null; then
  say "$step"
  export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  pc_flags=$(pkg-config --cflags --libs mailproto) || fail "pkg-config mailproto"
  printf '   pkg-config --cflags --libs mailproto: %s\n' "$pc_flags"
  [[ $(pkg-config --modversion mailproto) == $(sed -n 's/^#define MAILPROTO_VERSION_STRING "\(.*\)"/\1/p' \
    "$prefix/include/mailproto/version_macros.hpp") ]] || fail "mailproto.pc version differs"
  # shellcheck disable=SC2086
  run "${CXX:-c++}" -std=c++20 '-DMAILPROTO_CONSUMER_HOW="pkg-config"' "$consumer_src/main.cpp" \
    -o "$work/consumer-pkgconfig" $pc_flags
  run "$work/consumer-pkgconfig"
else
  say "pkg-config not installed: skipping the pkg-config check"
fi

step="consumer via add_subdirectory"
say "$step (builds the library again, inside the consumer)"
run cmake -S "$consumer_src" -B "$work/consumer-subdir" "${common[@]}" \
  "-DMAILPROTO_CONSUMER_SUBDIR=$src"
# With mailproto as a subproject its tests, apps and examples default to OFF: check.
for opt in MAILPROTO_BUILD_TESTS MAILPROTO_BUILD_APPS MAILPROTO_BUILD_EXAMPLES MAILPROTO_INSTALL; do
  grep -q "^$opt:BOOL=OFF" "$work/consumer-subdir/CMakeCache.txt" ||
    fail "$opt is not OFF when mailproto is a subproject"
done
run cmake --build "$work/consumer-subdir" -j "$jobs"
run "$work/consumer-subdir/mailproto_consumer"

step="done"
say "PASSED (find_package, version check, pkg-config, add_subdirectory)"
