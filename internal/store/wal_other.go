//go:build !linux

package store

import "os"

// syncData writes f to the disk; where fdatasync is not to be had, with
// fsync.
func syncData(f *os.File) error { return f.Sync() }
