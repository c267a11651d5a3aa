// The NEON tier's Winograd steps (internal to the micro-kernels), run by
// winograd_run like the x86 ones.
#ifndef MD_WINOGRAD_NEON_H
#define MD_WINOGRAD_NEON_H

#include "winograd_common.h"

#if defined(__aarch64__)
#include <arm_neon.h>

// The store-time activation (MD_ACTIVATION_*) on 4 lanes.
static inline float32x4_t winograd_activate4(float32x4_t x, int activation, float slope) {
    if (activation == MD_ACTIVATION_RELU) return vmaxq_f32(x, vdupq_n_f32(0.0f));
    if (activation == MD_ACTIVATION_LEAKY_RELU) {
        return vbslq_f32(vcgtq_f32(x, vdupq_n_f32(0.0f)), x, vmulq_f32(x, vdupq_n_f32(slope)));
    }
    return x;
}
#endif

void md_winograd_f23_input_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f23_output_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_conv_input_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_conv_output_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_transposed_input_neon(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                           int end);
void md_winograd_f22_transposed_output_neon(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                            int end);

#endif
