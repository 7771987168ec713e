#!/usr/bin/env bash
# Refuses a Linux binary that needs a newer glibc than the Functions host's
# Linux images carry, before it is packaged.
#
#   bash infra/check_glibc.sh BINARY [MAX_GLIBC]     (default 2.31)
#
# Why 2.31: Microsoft does not document the OS image Flex Consumption runs a
# custom handler on. Its announcement of the Python worker's glibc failures
# (Azure/azure-functions-python-worker#1651, 2025-03-12) says the Functions
# images are "built on Bullseye with GLIB_C 2.31", and every v4 image of
# Azure/azure-functions-docker is Debian 11 (glibc 2.31) or Debian 12 (2.36).
# 2.31 is the lowest a v4 host can have, so a binary that needs no more runs
# on any of them. A statically linked binary (x86_64-unknown-linux-musl, what
# infra/package.sh builds where the toolchain has that target) needs none.
#
# Exit 0 when the binary fits, 1 with the symbols that do not, 2 on bad use.
set -euo pipefail
binary="${1:?usage: infra/check_glibc.sh BINARY [MAX_GLIBC]}"
max="${2:-2.31}"
[ -f "$binary" ] || { echo "check_glibc: no file $binary" >&2; exit 2; }
command -v objdump >/dev/null || { echo "check_glibc: objdump not found (Debian: apt-get install binutils)" >&2; exit 2; }
# The versions of the dynamic symbols it imports, e.g. GLIBC_2.34.
needed="$(objdump -T "$binary" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sort -u -V || true)"
if [ -z "$needed" ]; then
  echo "check_glibc: $binary needs no glibc (statically linked, or not linked against glibc)"
  exit 0
fi
newest="$(tail -1 <<< "$needed" | sed 's/GLIBC_//')"
if [ "$(printf '%s\n%s\n' "$newest" "$max" | sort -V | tail -1)" = "$max" ]; then
  echo "check_glibc: $binary needs glibc $newest at most: runs on glibc $max"
  exit 0
fi
too_new="$(objdump -T "$binary" | awk -v max="$max" '
  match($0, /GLIBC_[0-9][0-9.]*/) {
    v = substr($0, RSTART + 6, RLENGTH - 6)
    split(v, a, "."); split(max, m, ".")
    if (a[1] > m[1] || (a[1] == m[1] && a[2] + 0 > m[2] + 0)) print "  " $NF " (GLIBC_" v ")"
  }' | sort -u | head -20)"
cat >&2 <<MSG
check_glibc: $binary needs glibc $newest, but the Functions host's Linux images may have only $max
(Debian 11), where it would fail to start with "GLIBC_$newest not found". Symbols past $max:
$too_new
Fix: build it statically, for x86_64-unknown-linux-musl (rustup target add x86_64-unknown-linux-musl;
Debian: apt-get install musl-tools), which infra/package.sh does when that target is installed, or
build on a machine with glibc $max or older (Debian 11).
MSG
exit 1
