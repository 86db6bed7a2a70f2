// Command hindsight is the incident timeline and postmortem tracker.
package main

import (
	"context"
	"os"

	"hindsight/internal/cli"
)

func main() {
	env := &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(cli.Main(context.Background(), env, os.Args[1:]))
}
