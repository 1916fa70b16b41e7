# Sourced by the guest build scripts. fetch_deb DIR PACKAGE: downloads PACKAGE (name[:arch]) with apt into DIR unless
# a .deb of it is there already, and prints the .deb's path. A failed download calls the script's
# `unavailable MESSAGE` (exit status 2: no registry).
fetch_deb() {
  local dir=$1 name=${2%%:*} deb
  deb=$(ls "$dir/${name}"_*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    (cd "$dir" && apt-get download -q "$2" >/dev/null 2>"$dir/apt.log") ||
      unavailable "could not download $2 (apt-get download: $(tail -n 1 "$dir/apt.log"))"
    deb=$(ls "$dir/${name}"_*.deb | head -n 1)
  fi
  echo "$deb"
}
