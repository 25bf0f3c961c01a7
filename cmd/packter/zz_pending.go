package main

// Temporary stand-ins for subcommands whose files are being written right now.
// Whoever adds cmd/packter/<name>.go with the real run<Name>: delete that stub
// here (only yours).

import (
	"context"
	"errors"
	"io"
)

var errPending = errors.New("this command is not in this build yet")

func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error { return errPending }
