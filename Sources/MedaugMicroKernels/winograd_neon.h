// The NEON tier's Winograd steps (internal to the micro-kernels), run by
// winograd_run like the x86 ones.
#ifndef MD_WINOGRAD_NEON_H
#define MD_WINOGRAD_NEON_H

#include "winograd_common.h"

#if defined(__aarch64__)
#include <arm_neon.h>

// z[j] lane i = x[i] lane j.
static inline void transpose4(const float32x4_t x[4], float32x4_t z[4]) {
    float32x4_t t0 = vtrn1q_f32(x[0], x[1]), t1 = vtrn2q_f32(x[0], x[1]);
    float32x4_t t2 = vtrn1q_f32(x[2], x[3]), t3 = vtrn2q_f32(x[2], x[3]);
    z[0] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2)));
    z[1] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3)));
    z[2] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2)));
    z[3] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3)));
}

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
