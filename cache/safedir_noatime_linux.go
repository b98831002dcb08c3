package cache

import "golang.org/x/sys/unix"

// oNoatime keeps the folders and files a deletion opens from recording an
// access; the kernel allows it to the owner only, so opens retry without.
const oNoatime = unix.O_NOATIME
