// What the ARM64 kernel tests share (scripts/test-arm64 compiles them with
// the micro-kernels for aarch64 and runs them under qemu-aarch64): the
// harness of kernel_tests.c and each file's tests.
#ifndef MEDAUG_ARM64_KERNEL_TESTS_H
#define MEDAUG_ARM64_KERNEL_TESTS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md_cpu.h"
#include "md_microkernels.h"

// Counts a pass, or counts a failure and prints "FAIL what".
void check(int ok, const char *what);
// The next of a fixed sequence of floats in [-1, 1).
float random_float(void);

// gemm_tests.c: the strips, panels and blocks GEMMs.
void test_strips(void);
void test_panels(void);
void test_blocks(void);
// winograd_tests.c: the 3×3 and the stride-2 Winograd kernels.
void test_winograd_f23(void);
void test_winograd_f43(void);
void test_winograd_f22(void);
void test_winograd_f42(void);
// elementwise_tests.c: the activations, the warp and Adam.
void test_activations(void);
void test_warp(void);
void test_adam(void);

#endif
