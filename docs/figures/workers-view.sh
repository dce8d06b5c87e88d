#!/usr/bin/env bash
# How docs/figures/workers-view.png was taken: the demo, plus two video_render jobs that
# no demo worker claims, with the Workers and queues view opened (Ctrl+2).
#   ../shared/tools/desktop-session --shot docs/figures/workers-view.png@170 -- docs/figures/workers-view.sh
set -euo pipefail
dunstctl set-paused true 2>/dev/null || true  # notifications would cover the window
out=$(mktemp -d)
uv run jobdesk demo --pace 0.4 --seed 13 >"$out/demo.log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true' EXIT
until grep -q JOBDESK_TOKEN "$out/demo.log"; do sleep 0.5; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$out/demo.log" | head -1)
token=$(grep -o 'JOBDESK_TOKEN=[^ ]*' "$out/demo.log" | head -1 | cut -d= -f2)
for name in "render trailer" "render teaser"; do
  curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"jobType\": \"video_render\", \"name\": \"$name\"}" "$url/api/jobs" >/dev/null
done
until xdotool search --onlyvisible --name '^jobdesk' >/dev/null 2>&1; do sleep 0.5; done
sleep 2
window=$(xdotool search --onlyvisible --name '^jobdesk' | head -1)
xdotool windowmove "$window" 0 0 windowsize "$window" 1440 870
xdotool windowactivate --sync "$window" key ctrl+2 || xdotool key ctrl+2
sleep 200
