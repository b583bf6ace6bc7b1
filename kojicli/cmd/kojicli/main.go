// Command kojicli is a Koji command-line client: `kojicli -p PROFILE COMMAND ...`
// takes the same config files, commands and flags as the Python koji CLI.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/gokoji/gokoji/kojicli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	rc := kojicli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(rc)
}
