// Counts of kernel runs per family and tier, so tests can assert that the
// code of a forced tier really ran (not a fallback).
#include "md_microkernels.h"

#include <stdatomic.h>

static atomic_long runs[MD_FAMILY_COUNT][4];

void md_count_run(int family, int tier) {
    atomic_fetch_add_explicit(&runs[family][tier], 1, memory_order_relaxed);
}

long md_kernel_runs(int family, int tier) {
    if (family < 0 || family >= MD_FAMILY_COUNT || tier < 0 || tier > 3) return 0;
    return atomic_load_explicit(&runs[family][tier], memory_order_relaxed);
}
