#!/bin/bash
# `make test-loaded`: the whole suite (tests/run.sh) while both CPUs are
# kept busy, as users' hosts and CI machines are: one busy loop per CPU
# (nice 0, like any other job), started before and stopped after, on every
# exit. The suite must pass as it does on an idle machine.
set -u
cd "$(dirname "$0")/.."
BURNERS=()
stop_burners() {
	local p
	for p in "${BURNERS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${BURNERS[@]}"; do wait "$p" 2>/dev/null; done
}
trap stop_burners EXIT
trap 'exit 130' INT TERM
for i in $(seq "$(nproc)"); do
	bash -c 'while :; do :; done' &
	BURNERS+=($!)
done
echo "(load: ${#BURNERS[@]} busy loops, pids ${BURNERS[*]})"
tests/run.sh
