// The per-tier bodies of md_conv_direct_stride1 (internal to the
// micro-kernels): k in 1 … DIRECT_MAX_KERNEL, cout > 0, rows non-empty.
#ifndef MD_CONV_DIRECT_H
#define MD_CONV_DIRECT_H

#define DIRECT_MAX_KERNEL 7

void md_conv_direct_avx2(int cin, int h, int w, const float *input, int cout, int k, int pad, const float *weights,
                         int out_h, int out_w, int row_begin, int row_end, float *output);

#endif
