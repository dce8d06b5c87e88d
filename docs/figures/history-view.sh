#!/usr/bin/env bash
# How docs/figures/history-view.png was taken: the demo running for a minute, then the
# History view (Ctrl+3) filtered to failed jobs and the newest of them selected.
#   ../shared/tools/desktop-session --shot docs/figures/history-view.png@67 -- docs/figures/history-view.sh
# (coordinates are the 1440x870 window's, at 0,0; the shot waits for the demo's history)
set -euo pipefail
dunstctl set-paused true 2>/dev/null || true  # notifications would cover the window
out=$(mktemp -d)
uv run jobdesk demo --pace 0.4 --seed 13 >"$out/demo.log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true' EXIT
until xdotool search --onlyvisible --name '^jobdesk' >/dev/null 2>&1; do sleep 0.2; done
window=$(xdotool search --onlyvisible --name '^jobdesk' | head -1)
xdotool windowmove "$window" 0 0 windowsize "$window" 1440 870
while [ "$SECONDS" -lt 60 ]; do sleep 1; done  # a minute of jobs for the history
xdotool windowactivate --sync "$window" key ctrl+3 || xdotool key ctrl+3
sleep 2
xdotool mousemove 55 38 click 1  # the status filter: its list opens
sleep 0.5
xdotool type failed
xdotool key Return  # "failed": searched at once
sleep 2
xdotool mousemove 120 108 click 1  # the first row: the newest failure, in the detail panel
sleep 200
