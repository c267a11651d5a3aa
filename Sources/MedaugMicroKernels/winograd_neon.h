// The NEON tier's Winograd steps (internal to the micro-kernels), run by
// winograd_run like the x86 ones.
#ifndef MD_WINOGRAD_NEON_H
#define MD_WINOGRAD_NEON_H

#include "winograd_common.h"

void md_winograd_f23_input_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f23_output_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_conv_input_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_conv_output_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_transposed_input_neon(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                           int end);
void md_winograd_f22_transposed_output_neon(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                            int end);

#endif
