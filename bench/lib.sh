# Sourced by the bench scripts (from the repository's top directory).
#
# minbase_tar CACHE makes (once) and prints the path of a Debian bookworm minbase rootfs tar,
# built with mmdebstrap from the machine's own apt sources (no other network) and kept in CACHE.
minbase_tar() {
  local cache=$1
  local plain=$cache/debian-bookworm-minbase.tar
  mkdir -p "$cache"
  if [ ! -e "$plain" ]; then
    local sources=/etc/apt/sources.list
    [ -s "$sources" ] || sources=/etc/apt/sources.list.d/debian.sources
    mmdebstrap --quiet --variant=minbase --mode=root --format=tar bookworm "$plain.tmp" "$sources"
    mv "$plain.tmp" "$plain"
  fi
  echo "$plain"
}

# scratch_ext4 IMAGE MOUNTPOINT mounts a fresh 4 GiB ext4 made in IMAGE (a file under /dev/shm:
# a loop device backed by tmpfs). The machine's root filesystem is not used: it is ext4 without a
# journal, where inode allocation scans recently deleted inodes and timings swing by 10x from run
# to run. The caller unmounts it and deletes IMAGE.
scratch_ext4() {
  truncate -s 4G "$1"
  mkfs.ext4 -q -F "$1"
  mkdir -p "$2"
  mount -o loop,discard "$1" "$2"
}
