// Prints a /proc/cpuinfo-style "flags" line for the CPU this program runs
// on, as the compiler's own CPU model (libgcc / compiler-rt) reads it from
// CPUID: independent of medaug's cpu.c. scripts/test-avx2-emulation runs it
// under qemu-x86_64, whose /proc/cpuinfo is still the host's, and hands the
// line to the tests that check the detected tier (MEDAUG_TEST_CPUINFO).
#include <stdio.h>

int main(void) {
    __builtin_cpu_init();
    printf("flags\t:");
    if (__builtin_cpu_supports("avx2")) printf(" avx2");
    if (__builtin_cpu_supports("fma")) printf(" fma");
    if (__builtin_cpu_supports("avx512f")) printf(" avx512f");
    if (__builtin_cpu_supports("avx512bw")) printf(" avx512bw");
    if (__builtin_cpu_supports("avx512dq")) printf(" avx512dq");
    if (__builtin_cpu_supports("avx512vl")) printf(" avx512vl");
    printf("\n");
    return 0;
}
