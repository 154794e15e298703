#!/usr/bin/env bash
# Compares two builds of a single-thread job in the same phase of a VM whose speed drifts: runs both at once, each
# pinned to its own core, swapping cores every round so neither build keeps the faster one.
#   bash scripts/dev/pinned-pair.sh ROUNDS "old command" "new command"
# e.g. the analysis half alone on both builds: "node /tmp/old/out/replay.js run segments.bin --nodiag" vs the new.
set -u
rounds=$1 a=$2 b=$3
for i in $(seq "$rounds"); do
  if [ $((i % 2)) = 1 ]; then ca=0 cb=1; else ca=1 cb=0; fi
  ta=$(mktemp) tb=$(mktemp)
  /usr/bin/time -f "%e s %U user" -o "$ta" taskset -c $ca bash -c "$a" >/dev/null &
  /usr/bin/time -f "%e s %U user" -o "$tb" taskset -c $cb bash -c "$b" >/dev/null &
  wait
  echo "round $i: old $(cat "$ta") | new $(cat "$tb")"
  rm -f "$ta" "$tb"
done
