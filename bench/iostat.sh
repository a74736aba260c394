# Sourced by the bench scripts. measure CMD... runs CMD once and sets: secs (wall), rss_kb (peak
# RSS), written (bytes the command sent to the disk, from /proc/<pid>/io: write_bytes less
# cancelled_write_bytes, which counts files deleted before they reached it) and written_raw
# (write_bytes alone). A shell waits for CMD, so its own /proc/self/io holds CMD's counts.
measure() {
  local t io
  t=$(mktemp) io=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$t" sh -c '"$@" >/dev/null 2>&1; s=$?; cat /proc/$$/io; exit $s' sh "$@" > "$io"
  read -r secs rss_kb < "$t"
  written_raw=$(awk '/^write_bytes/{print $2}' "$io")
  written=$((written_raw - $(awk '/^cancelled_write_bytes/{print $2}' "$io")))
  rm -f "$t" "$io"
}
best() { sort -n | head -1; }
