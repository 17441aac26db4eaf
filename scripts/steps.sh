# Sourced by the setup scripts: each setup step prints one line; its own output goes to a log.
#   step "Label" COMMAND [ARGS...]   →  "Label … done (12 s)", or "Label … FAILED" with the error lines and the
#                                      log's path (and the command's exit code returned).
# On a terminal the line shows the elapsed time and the latest progress the command logged (pip's downloads, the
# model hub's progress bars) while it runs.
_steps_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SETUP_LOG="${SETUP_LOG:-$_steps_root/.venv/setup.log}"

step() {
  local label=$1
  shift
  local started=$SECONDS status=0 pid mark
  mkdir -p "$(dirname "$SETUP_LOG")"
  printf '\n== %s  %s: %s\n' "$(date '+%F %T')" "$label" "$*" >>"$SETUP_LOG"
  mark=$(($(wc -c <"$SETUP_LOG") + 1))  # where this step's output starts
  if [ -t 1 ]; then
    "$@" >>"$SETUP_LOG" 2>&1 </dev/null &
    pid=$!
    trap 'kill "$pid" 2>/dev/null; printf "\n"; exit 130' INT TERM
    while kill -0 "$pid" 2>/dev/null; do
      printf '\r\033[K%s … %ds  %s' "$label" $((SECONDS - started)) "$(_step_progress "$mark")"
      sleep 0.5
    done
    wait "$pid" || status=$?
    trap - INT TERM
    printf '\r\033[K'
  else
    "$@" >>"$SETUP_LOG" 2>&1 </dev/null || status=$?
  fi
  if [ "$status" -eq 0 ]; then
    printf '%s … done (%ds)\n' "$label" $((SECONDS - started))
  else
    printf '%s … FAILED (exit %d)\n' "$label" "$status"
    _step_errors | sed 's/^/  /'
    printf '  full log: %s\n' "$SETUP_LOG"
  fi
  return "$status"
}

# The latest progress line of the running step (its output starts at byte $1 of the log): a download ("Progress N of M" from pip, a tqdm bar from the hub)
# or what pip is working on.
_step_progress() {
  tail -c "+$1" "$SETUP_LOG" | tail -c 4000 | tr '\r' '\n' |
    grep -E '^(Collecting|Downloading|Installing|Building|Progress [0-9]+ of [0-9]+)|[0-9]+%\|' | tail -n 1 |
    awk '/^Progress/ { if ($4 > 0) printf "downloading %d%%", 100 * $2 / $4; next } { print }' | cut -c1-70
}

# The lines of the failed step that say what went wrong, else its last lines.
_step_errors() {
  local section
  section="$(awk '/^== /{buffer=""; next} {buffer = buffer $0 "\n"} END {printf "%s", buffer}' "$SETUP_LOG" | tr '\r' '\n')"
  if grep -qiE '(^|[^a-z])(error|exception|failed|traceback)' <<<"$section"; then
    grep -iE -A2 '(^|[^a-z])(error|exception|failed)' <<<"$section" | grep -v '^--$' | tail -n 15
  else
    tail -n 15 <<<"$section"
  fi
}
