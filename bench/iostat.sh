# Sourced by the bench scripts, from the repository's root. measure CMD... runs CMD once and sets: secs (wall), rss_kb (peak
# RSS), written (bytes the command sent to the disk, from /proc/<pid>/io: write_bytes less
# cancelled_write_bytes, which counts files deleted before they reached it) and written_raw
# (write_bytes alone). A shell waits for CMD, so its own /proc/self/io holds CMD's counts.
measure() {
  local t io
  t=$(mktemp) io=$(mktemp)
  local t0
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$t" sh -c '"$@" >/dev/null 2>&1; s=$?; cat /proc/$$/io; exit $s' sh "$@" > "$io"
  secs=$(since "$t0")
  read -r rss_kb < "$t"
  written_raw=$(awk '/^write_bytes/{print $2}' "$io")
  written=$((written_raw - $(awk '/^cancelled_write_bytes/{print $2}' "$io")))
  rm -f "$t" "$io"
}
best() { sort -n | head -1; }
# since T0 prints the seconds since T0 (from date +%s%N) to the millisecond: /usr/bin/time's
# %e has only hundredths, a tenth of a grep of 150 MB.
since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'; }
# wall CMD... prints CMD's wall time (its output to /dev/null through a pipe: GNU grep -c into
# /dev/null itself stops at the first match).
wall() { local t0; t0=$(date +%s%N); "$@" | cat > /dev/null; since "$t0"; }

# p2pool_log SIZE EVERY prints the path of a generated P2Pool log of SIZE bytes with an event
# every EVERY lines, generating it into bench/out the first time.
p2pool_log() {
  local log=bench/out/p2pool-$1.log
  [ "$2" = 200 ] || log=bench/out/p2pool-$1-e$2.log
  [ -f "$log" ] || go run ./bench/genlog -o "$log" -size "$1" -event-every "$2" >&2
  echo "$log"
}

# service_config WORK writes WORK/db4e.yaml for a service with its data, socket and P2Pool log
# in WORK; it ends inside the p2pool section, so a caller may append more of its keys
# ("  data_api: ...") and then sections of its own.
service_config() {
  cat > "$1/db4e.yaml" <<YAML
data_dir: $1/data
socket: $1/db4e.sock
timezone: UTC
log_level: warn
p2pool:
  log: $1/p2pool.log
YAML
}

# db4e_binary puts the db4e to measure at bench/out/db4e: a build of this tree, or DB4E_BIN's
# binary when set (to compare two builds).
db4e_binary() {
  mkdir -p bench/out
  if [ -n "${DB4E_BIN:-}" ]; then
    [ "$DB4E_BIN" -ef bench/out/db4e ] || cp "$DB4E_BIN" bench/out/db4e
  else
    go build -o bench/out/db4e .
  fi
}
