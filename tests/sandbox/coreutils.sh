#!/bin/bash
# coreutils and friends inside moat do, checked against the same commands
# run natively: ls of /proc/self, sha256sum of a 100 MiB file written to the
# sandbox's /tmp, sort of a large file, find | wc -l over /usr/share, tar
# and gzip round trips, du, stat, date, cp -a, xargs.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

T=$(tmpd) || exit 1

out=$($MOAT do ls -la /proc/self/ 2>&1)
for f in cmdline comm cwd environ exe fd fdinfo maps status stat task; do
	echo "$out" | grep -q " $f" || { fail "ls_proc_self_$f" "missing from: $(echo "$out" | head -3 | tr '\n' '|')"; continue; }
	pass "ls_proc_self_$f"
done
expect proc_self_exe "/usr/bin/readlink" "$($MOAT do readlink /proc/self/exe)"
expect proc_self_cmdline "cat /proc/self/cmdline" "$($MOAT do cat /proc/self/cmdline | tr '\0' ' ' | sed 's/ $//')"
expect proc_self_status_pid "Pid:	1" "$($MOAT do grep '^Pid:' /proc/self/status)"
$MOAT do cat /proc/self/maps >"$T/maps"
grep -q '/usr/bin/cat$' "$T/maps" && grep -q 'libc.so.6$' "$T/maps" && grep -q '\[stack\]' "$T/maps" &&
	pass proc_self_maps || fail proc_self_maps "$(head -3 "$T/maps" | tr '\n' '|')"
expect proc_cpuinfo "$(grep -c ^processor /proc/cpuinfo)" "$($MOAT do grep -c ^processor /proc/cpuinfo)"
expect nproc "$(nproc)" "$($MOAT do nproc)"

# 100 MiB written to the sandbox's /tmp, hashed there
want=$(head -c 104857600 /dev/zero | tr '\0' 'z' | sha256sum | cut -d' ' -f1)
got=$($MOAT do bash -c 'head -c 104857600 /dev/zero | tr "\0" z >/tmp/big && sha256sum /tmp/big' | cut -d' ' -f1)
expect sha256sum_100MiB "$want" "$got"

# sort of a large file (500k lines, shuffled deterministically)
seq 1 500000 | awk '{ print ($1 * 7919) % 500009 }' >"$T/unsorted"
want=$(sort -n "$T/unsorted" | sha256sum | cut -d' ' -f1)
got=$($MOAT do sort -n "$T/unsorted" | sha256sum | cut -d' ' -f1)
expect sort_large "$want" "$got"
want=$(sort "$T/unsorted" | uniq -c | sort -rn | head -3 | sha256sum)
got=$($MOAT do bash -c "sort $T/unsorted | uniq -c | sort -rn | head -3" | sha256sum)
expect sort_uniq_pipeline "$want" "$got"

want=$(find /usr/share -name '*.gz' | wc -l)
got=$($MOAT do sh -c "find /usr/share -name '*.gz' | wc -l")
expect find_usr_share_gz "$want" "$got"

# tar + gzip round trip inside the sandbox
got=$($MOAT do bash -c 'cd /tmp && tar czf d.tgz -C /usr/share/doc bash coreutils && mkdir x && tar xzf d.tgz -C x && diff -r x/bash /usr/share/doc/bash && du -s x | cut -f1')
want=$(du -s /usr/share/doc/bash /usr/share/doc/coreutils | awk '{s += $1} END {print s}')
[ -n "$got" ] && [ "$got" -ge $((want / 2)) ] && pass tar_gzip_roundtrip || fail tar_gzip_roundtrip "du $got vs $want"

got=$($MOAT do bash -c 'cp -a /usr/share/doc/bash /tmp/c && diff -r /usr/share/doc/bash /tmp/c && stat -c "%a %s" /tmp/c/copyright')
expect cp_a "$(stat -c '%a %s' /usr/share/doc/bash/copyright)" "$got"
expect xargs "$(seq 1 100 | xargs -n 7 echo | wc -l)" "$($MOAT do sh -c 'seq 1 100 | xargs -n 7 echo | wc -l')"
expect date_epoch_close "ok" "$($MOAT do sh -c 'd=$(date +%s); [ $((d - '"$(date +%s)"')) -lt 5 ] && echo ok')"
expect stat_lower_file "$(stat -c '%s %a %U' /etc/passwd)" "$($MOAT do stat -c '%s %a %U' /etc/passwd)"
expect ls_etc_count "$(ls /etc | wc -l)" "$($MOAT do sh -c 'ls /etc | wc -l')"
expect df_root "overlayfs" "$($MOAT do stat -f -c %T /)"
expect no_leftover_processes 0 "$(sandbox_leftovers)"
