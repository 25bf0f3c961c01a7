//go:build linux && cgo

package sonify

/*
#cgo pkg-config: alsa
#include <alsa/asoundlib.h>

static void packterQuietALSA(const char *file, int line, const char *function, int err, const char *fmt, ...) {}
static void packterSilenceALSA(void) { snd_lib_error_set_handler(packterQuietALSA); }
*/
import "C"

// quietALSA stops libasound from printing its own diagnostics to stderr: a
// missing device is reported once, in one sentence, by the engine instead.
func quietALSA() { C.packterSilenceALSA() }
