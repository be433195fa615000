/*
 * The libFuzzer entry point each target defines. The same target source is
 * linked with libFuzzer (meson -Dfuzz=true, clang) or with replay.c, which
 * feeds it the checked-in corpus on every test run.
 */
#ifndef PM_FUZZ_H
#define PM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
