/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The corpus driver shared by every fuzz target (driver.c): a main() that
 * feeds each corpus file to the target's LLVMFuzzerTestOneInput() once, in
 * a child process, and prints KTAP plus "N passed, N failed".  Built with
 * gcc and ASan + UBSan by `make check`; a target built with clang and
 * libFuzzer (`make fuzz`) does not use it.
 */
#ifndef FB_FUZZ_DRIVER_H
#define FB_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ_VERBOSE is set: a target may print "# " notes. */
extern int fuzz_driver_verbose;

/* Run one input as a test named label (in a child unless FUZZ_NOFORK). */
void fuzz_driver_run(const char *label, const uint8_t *data, size_t size);

/*
 * Optional, defined by a target that has built-in inputs besides its
 * corpus files: fuzz_driver_builtin() runs them (with fuzz_driver_run)
 * before the corpus; fuzz_driver_emit(dir) writes them as seed files for
 * the fuzzer (`driver --emit DIR`), returning 0 or -1.
 */
void fuzz_driver_builtin(void) __attribute__((weak));
int fuzz_driver_emit(const char *dir) __attribute__((weak));

#endif
