//go:build !linux

package kojicli

import "os"

func isTerminal(fd uintptr) bool {
	st, err := os.NewFile(fd, "").Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func foreground(fd uintptr) bool { return true }
