// tanh, sigmoid and channel softmax, NEON tier: activations.c's algorithms
// on 4 lanes (the same polynomials; 2^n as two exact power-of-two products).
#include "md_microkernels.h"
#include "activations.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>
#include <string.h>

static inline float32x4_t power_of_two(int32x4_t n) {
    return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23));
}

// e^x: x = n·ln2 + r, e^r by Cephes expf's polynomial, ·2^⌊n/2⌋·2^(n−⌊n/2⌋).
static float32x4_t exp4(float32x4_t x) {
    x = vmaxq_f32(vminq_f32(x, vdupq_n_f32(88.7f)), vdupq_n_f32(-104.0f));
    float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
    p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), vmulq_f32(p, r), r);
    int32x4_t k = vcvtq_s32_f32(n), k1 = vshrq_n_s32(k, 1);
    return vmulq_f32(vmulq_f32(p, power_of_two(k1)), power_of_two(vsubq_s32(k, k1)));
}

static float32x4_t tanh4(float32x4_t x) {
    float32x4_t magnitude = vabsq_f32(x), z = vmulq_f32(x, x);
    float32x4_t p = vdupq_n_f32(-5.70498872745e-3f);
    p = vfmaq_f32(vdupq_n_f32(2.06390887954e-2f), p, z);
    p = vfmaq_f32(vdupq_n_f32(-5.37397155531e-2f), p, z);
    p = vfmaq_f32(vdupq_n_f32(1.33314422036e-1f), p, z);
    p = vfmaq_f32(vdupq_n_f32(-3.33332819422e-1f), p, z);
    float32x4_t small = vfmaq_f32(x, vmulq_f32(p, z), x);
    float32x4_t e = exp4(vaddq_f32(magnitude, magnitude));
    float32x4_t large = vsubq_f32(vdupq_n_f32(1.0f), vdivq_f32(vdupq_n_f32(2.0f), vaddq_f32(e, vdupq_n_f32(1.0f))));
    large = vbslq_f32(vdupq_n_u32(0x80000000u), x, large);       // x's sign
    float32x4_t y = vbslq_f32(vcltq_f32(magnitude, vdupq_n_f32(0.625f)), small, large);
    return vbslq_f32(vceqq_f32(x, x), y, x);                      // NaN stays NaN
}

static float32x4_t sigmoid4(float32x4_t x) {
    float32x4_t y = vdivq_f32(vdupq_n_f32(1.0f), vaddq_f32(vdupq_n_f32(1.0f), exp4(vnegq_f32(x))));
    return vbslq_f32(vceqq_f32(x, x), y, x);
}

void md_affine_activate_neon(float *data, long count, float scale, float shift, int tanh) {
    float32x4_t s = vdupq_n_f32(scale), t = vdupq_n_f32(shift);
    for (long i = 0; i < count; i += 4) {
        long n = count - i < 4 ? count - i : 4;
        float lanes[4] = {0};
        memcpy(lanes, data + i, sizeof(float) * (size_t)n);
        // Multiply, then add (not fused), as the scalar path rounds.
        float32x4_t x = vaddq_f32(vmulq_f32(vld1q_f32(lanes), s), t);
        vst1q_f32(lanes, tanh ? tanh4(x) : sigmoid4(x));
        memcpy(data + i, lanes, sizeof(float) * (size_t)n);
    }
}

void md_softmax_channels_neon(float *data, int channels, long pixels, long stride) {
    for (long i = 0; i < pixels; i += 4) {
        long n = pixels - i < 4 ? pixels - i : 4;
        float32x4_t peak = vdupq_n_f32(-INFINITY), sum = vdupq_n_f32(0.0f);
        float lanes[4] = {0};
        for (int c = 0; c < channels; c++) {
            memcpy(lanes, data + c * stride + i, sizeof(float) * (size_t)n);
            peak = vmaxq_f32(peak, vld1q_f32(lanes));
        }
        for (int c = 0; c < channels; c++) {
            float *p = data + c * stride + i;
            memcpy(lanes, p, sizeof(float) * (size_t)n);
            float32x4_t e = exp4(vsubq_f32(vld1q_f32(lanes), peak));
            vst1q_f32(lanes, e);
            memcpy(p, lanes, sizeof(float) * (size_t)n);
            sum = vaddq_f32(sum, e);
        }
        float32x4_t inverse = vdivq_f32(vdupq_n_f32(1.0f), sum);
        for (int c = 0; c < channels; c++) {
            float *p = data + c * stride + i;
            memcpy(lanes, p, sizeof(float) * (size_t)n);
            vst1q_f32(lanes, vmulq_f32(vld1q_f32(lanes), inverse));
            memcpy(p, lanes, sizeof(float) * (size_t)n);
        }
    }
}
#endif
