// The AVX2 tier's Winograd steps (internal to the micro-kernels), run by
// winograd_run like the AVX-512 ones.
#ifndef MD_WINOGRAD_AVX2_H
#define MD_WINOGRAD_AVX2_H

#include "winograd_common.h"

void md_winograd_f23_input_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f23_output_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_conv_input_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_conv_output_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_transposed_input_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                           int end);
void md_winograd_f22_transposed_output_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                            int end);

#endif
