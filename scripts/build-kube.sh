#!/usr/bin/env bash
# Build the Kubernetes 1.20.2 control-plane binaries the SRE test harness runs on loopback.
#
# Why: Debian ships no kube-apiserver, but Debian 12's `kubernetes` source package carries the full vendored Go
# tree, so it builds offline (GOPROXY=off) in ~8 minutes on 2 cores. The binaries are cached outside the repo in
# ~/.cache/opsquad/kube/v1.20.2/bin (OPSQUAD_KUBE_BIN overrides) and are rebuilt only when one is missing.
# Needs: golang-go rsync (apt) and network for the source download only.
# Exit status: 0 when the binaries are present afterwards; non-zero with one line "build-kube: ..." otherwise.
set -euo pipefail

KUBE_VERSION=1.20.2
DEB_VERSION="1.20.5+really1.20.2-1.1+deb12u1"
BIN_DIR="${OPSQUAD_KUBE_BIN:-${HOME}/.cache/opsquad/kube/v${KUBE_VERSION}/bin}"
REQUIRED=(kube-apiserver kube-controller-manager kube-scheduler)
OPTIONAL=(kubectl)

say() { echo "build-kube: $*" >&2; }
die() { echo "build-kube: error: $*" >&2; exit 1; }

# One build at a time per cache folder (parallel test workers or `make` runs wait for the first one).
mkdir -p "${BIN_DIR}"
if command -v flock >/dev/null; then
  exec 9>"${BIN_DIR}/.build.lock"
  flock -n 9 || { say "another build is running, waiting for it"; flock 9; }
fi

# kubectl is optional (the harness works without it), so only the three control-plane binaries decide a rebuild.
missing=0
for b in "${REQUIRED[@]}"; do [ -x "${BIN_DIR}/${b}" ] || missing=1; done
if [ "${missing}" = 0 ]; then
  say "binaries present in ${BIN_DIR}, nothing to do"
  exit 0
fi

command -v go >/dev/null || die "go not found (apt-get install golang-go)"
command -v rsync >/dev/null || die "rsync not found (apt-get install rsync)"

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/opsquad-kube-build.XXXXXX")"
LOG="${SCRATCH}/build.log"
cleanup() { chmod -R u+w "${SCRATCH}" 2>/dev/null || true; rm -rf "${SCRATCH}"; }
fail() { tail -n 20 "${LOG}" >&2 2>/dev/null || true; cleanup; die "$*"; }
trap cleanup EXIT

# A private deb-src list copied from the machine's own Debian entries; the system apt state is not touched.
say "downloading Debian source kubernetes=${DEB_VERSION} into ${SCRATCH}"
mkdir -p "${SCRATCH}/apt/lists/partial" "${SCRATCH}/apt/cache/archives/partial" "${SCRATCH}/src"
SOURCES="${SCRATCH}/apt/sources.list"
: >"${SOURCES}"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  awk '
    /^[[:space:]]*$/ { if (uri != "" && suites != "") emit(); uri=""; suites=""; comps=""; signed=""; next }
    /^URIs:/ { uri=$2 } /^Suites:/ { $1=""; suites=$0 } /^Components:/ { $1=""; comps=$0 }
    /^Signed-By:/ { signed=$2 }
    function emit(  n, s, i) { n=split(suites, s, " "); for (i=1; i<=n; i++)
      printf "deb-src %s%s %s%s\n", (signed != "" ? "[signed-by=" signed "] " : ""), uri, s[i], comps }
    END { if (uri != "" && suites != "") emit() }' "$f" >>"${SOURCES}"
done
if [ -f /etc/apt/sources.list ]; then
  sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list >>"${SOURCES}"
fi
[ -s "${SOURCES}" ] || die "no Debian apt sources found in /etc/apt to derive deb-src entries from"
APT_OPTS=(-o "Dir::Etc::SourceList=${SOURCES}" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=${SCRATCH}/apt/lists" -o "Dir::Cache=${SCRATCH}/apt/cache" -o "Debug::NoLocking=1")
apt-get "${APT_OPTS[@]}" update >"${LOG}" 2>&1 || fail "apt-get update with the private deb-src list failed"
(cd "${SCRATCH}/src" && apt-get "${APT_OPTS[@]}" source --download-only "kubernetes=${DEB_VERSION}") \
  >>"${LOG}" 2>&1 || fail "apt-get source --download-only kubernetes=${DEB_VERSION} failed"

ORIG="$(ls "${SCRATCH}"/src/kubernetes_*.orig.tar.* 2>/dev/null | head -n 1 || true)"
[ -n "${ORIG}" ] || fail "no orig tarball in the downloaded source package"
say "unpacking $(basename "${ORIG}")"
mkdir -p "${SCRATCH}/tree"
tar -xf "${ORIG}" -C "${SCRATCH}/tree" --strip-components=1 >>"${LOG}" 2>&1 || fail "unpacking ${ORIG} failed"

# GOPATH/GOCACHE/HOME in the scratch folder so nothing leaks into the user's Go setup; offline build.
export GOPATH="${SCRATCH}/gopath" GOCACHE="${SCRATCH}/gocache" HOME="${SCRATCH}/home"
export GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=0 KUBE_GIT_VERSION="v${KUBE_VERSION}"
mkdir -p "${GOPATH}" "${GOCACHE}" "${HOME}"
targets="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubectl"
say "building ${targets} (~8 min on 2 cores; log ${LOG})"
start=$(date +%s)
if ! (cd "${SCRATCH}/tree" && make WHAT="${targets}" GOLDFLAGS="-s -w") >>"${LOG}" 2>&1; then
  say "build with kubectl failed, retrying without kubectl"
  targets="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler"
  (cd "${SCRATCH}/tree" && make WHAT="${targets}" GOLDFLAGS="-s -w") >>"${LOG}" 2>&1 || fail "make WHAT=${targets} failed"
fi
say "build took $(( $(date +%s) - start )) s"

OUT="${SCRATCH}/tree/_output/bin"
[ -d "${OUT}" ] || OUT="$(dirname "$(find "${SCRATCH}/tree/_output" -type f -name kube-apiserver | head -n 1)")"
mkdir -p "${BIN_DIR}"
for b in "${REQUIRED[@]}" "${OPTIONAL[@]}"; do
  if [ -x "${OUT}/${b}" ]; then
    install -m 0755 "${OUT}/${b}" "${BIN_DIR}/${b}.tmp" && mv -f "${BIN_DIR}/${b}.tmp" "${BIN_DIR}/${b}"
  fi
done
for b in "${REQUIRED[@]}"; do [ -x "${BIN_DIR}/${b}" ] || fail "${b} was not produced by the build"; done
say "installed $(ls "${BIN_DIR}" | tr '\n' ' ')into ${BIN_DIR}"
