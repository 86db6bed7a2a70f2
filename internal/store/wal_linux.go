package store

import (
	"os"
	"syscall"
)

// syncData writes f's data to the disk with what is needed to read it back
// (its size), but not its times: fdatasync, as SQLite itself syncs. Once
// the log has reached its working size, that spares the file system a
// journal commit at every sync.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
