#!/bin/bash
# Every file "meson install" puts in place is shipped by a Debian package:
# the build under test installs into a scratch DESTDIR, its prefix is read
# as the package's /usr, and each file must match a line of
# debian/*.install (as dh_missing checks at package build time, which takes
# minutes and packaging tools; this takes a second). A file no package
# lists would make the .deb build fail, or be silently left out.
. "$(dirname "$0")/../lib/common.sh"
pm_init install-manifest 60
src=$PKTMON_SOURCE
[[ -d $src/debian ]] || skip "no debian/ directory"
command -v meson >/dev/null || skip "meson not installed"

dest=$PM_TMP/dest
prefix=$(meson introspect --buildoptions "$PKTMON_BUILD" | "$PM_PY" -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
DESTDIR=$dest meson install -C "$PKTMON_BUILD" --no-rebuild >"$PM_TMP/install.log" 2>&1 ||
	fail "meson install failed: $(tail -n 5 "$PM_TMP/install.log")"

mapfile -t patterns < <(cat "$src"/debian/*.install | sed -e 's/#.*//' -e 's/[[:space:]].*//' | grep -v '^$')
missing=() n=0
while IFS= read -r f; do
	rel=${f#"$dest"/}
	[[ $rel == "${prefix#/}"/* ]] && rel=usr/${rel#"${prefix#/}"/}
	n=$((n + 1))
	ok=0
	for p in "${patterns[@]}"; do
		# A directory pattern ends in "/": everything below it.
		# shellcheck disable=SC2053 # the patterns are globs on purpose
		if [[ $p == */ && $rel == "$p"* ]] || [[ $rel == $p ]]; then
			ok=1
			break
		fi
	done
	((ok)) || missing+=("$rel")
done < <(find "$dest" -type f | sort)
expect_ge "files installed" 5 "$n"
((${#missing[@]} == 0)) || fail "installed but in no debian/*.install: ${missing[*]}"
pass "$n installed files, every one shipped by a package"
