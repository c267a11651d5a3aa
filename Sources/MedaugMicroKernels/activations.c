#include "md_microkernels.h"
#include "activations.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define TARGET __attribute__((target("avx512f")))

// e^x for 16 floats: x = n·ln2 + r with |r| ≤ ln2/2, e^r = 1 + r + r²·P(r)
// (Cephes expf's polynomial, relative error ~1e-7), then ·2^n by scalef,
// which also gives 0 and +inf at the ends of the range.
static TARGET __m512 exp16(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.7f)), _mm512_set1_ps(-104.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

// tanh: an odd polynomial below |x| = 0.625 (Cephes tanhf, no cancellation
// near 0), 1 − 2/(e^{2|x|} + 1) with x's sign above. NaN stays NaN.
static TARGET __m512 tanh16(__m512 x) {
    __m512 magnitude = _mm512_abs_ps(x);
    __m512 z = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
    __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
    __m512 e = exp16(_mm512_add_ps(magnitude, magnitude));
    __m512 large = _mm512_sub_ps(_mm512_set1_ps(1.0f),
                                 _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
    large = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(large),
                                                _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN))));
    __mmask16 is_small = _mm512_cmp_ps_mask(magnitude, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
    __m512 y = _mm512_mask_blend_ps(is_small, large, small);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x);
}

// 1/(1 + e^−x). NaN stays NaN.
static TARGET __m512 sigmoid16(__m512 x) {
    __m512 y = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x);
}

// data[i] = act(data[i]·scale + shift), act = tanh (sigmoid = 0) or sigmoid.
static TARGET void affine_activate(float *data, long count, float scale, float shift, int tanh) {
    __m512 s = _mm512_set1_ps(scale), t = _mm512_set1_ps(shift);
    for (long i = 0; i < count; i += 16) {
        __mmask16 m = count - i >= 16 ? 0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        // Multiply, then add (not fused), as the scalar path rounds.
        __m512 x = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, data + i), s), t);
        _mm512_mask_storeu_ps(data + i, m, tanh ? tanh16(x) : sigmoid16(x));
    }
}

int md_affine_activate(float *data, long count, float scale, float shift, int activation) {
    int tier = md_cpu_tier();
    if (tier != MD_CPU_AVX512 && tier != MD_CPU_AVX2) return 0;
    if (activation != MD_ACTIVATION_TANH && activation != MD_ACTIVATION_SIGMOID) return 0;
    md_count_run(MD_FAMILY_ACTIVATIONS, tier);
    if (count <= 0) return 1;
    if (tier == MD_CPU_AVX512) {
        affine_activate(data, count, scale, shift, activation == MD_ACTIVATION_TANH);
    } else {
        md_affine_activate_avx2(data, count, scale, shift, activation == MD_ACTIVATION_TANH);
    }
    return 1;
}

// 16 pixels at a time: the channel maximum, e^(x − max) and its sum, then
// the scale by 1/sum.
static TARGET void softmax_channels(float *data, int channels, long pixels, long stride) {
    for (long i = 0; i < pixels; i += 16) {
        __mmask16 m = pixels - i >= 16 ? 0xFFFF : (__mmask16)((1u << (pixels - i)) - 1);
        __m512 peak = _mm512_set1_ps(-INFINITY);
        for (int c = 0; c < channels; c++) peak = _mm512_max_ps(peak, _mm512_maskz_loadu_ps(m, data + c * stride + i));
        __m512 sum = _mm512_setzero_ps();
        for (int c = 0; c < channels; c++) {
            float *p = data + c * stride + i;
            __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p), peak));
            _mm512_mask_storeu_ps(p, m, e);
            sum = _mm512_add_ps(sum, e);
        }
        __m512 inverse = _mm512_div_ps(_mm512_set1_ps(1.0f), sum);
        for (int c = 0; c < channels; c++) {
            float *p = data + c * stride + i;
            _mm512_mask_storeu_ps(p, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, p), inverse));
        }
    }
}

int md_softmax_channels(float *data, int channels, long pixels, long stride) {
    int tier = md_cpu_tier();
    if (tier != MD_CPU_AVX512 && tier != MD_CPU_AVX2) return 0;
    md_count_run(MD_FAMILY_ACTIVATIONS, tier);
    if (channels <= 0 || pixels <= 0) return 1;
    if (tier == MD_CPU_AVX512) {
        softmax_channels(data, channels, pixels, stride);
    } else {
        md_softmax_channels_avx2(data, channels, pixels, stride);
    }
    return 1;
}
#else
// aarch64: the NEON tier (activations_neon.c); elsewhere none.
int md_affine_activate(float *data, long count, float scale, float shift, int activation) {
#if defined(__aarch64__)
    if (md_cpu_tier() != MD_CPU_NEON) return 0;
    if (activation != MD_ACTIVATION_TANH && activation != MD_ACTIVATION_SIGMOID) return 0;
    md_count_run(MD_FAMILY_ACTIVATIONS, MD_CPU_NEON);
    if (count > 0) md_affine_activate_neon(data, count, scale, shift, activation == MD_ACTIVATION_TANH);
    return 1;
#else
    (void)data, (void)count, (void)scale, (void)shift, (void)activation;
    return 0;
#endif
}
int md_softmax_channels(float *data, int channels, long pixels, long stride) {
#if defined(__aarch64__)
    if (md_cpu_tier() != MD_CPU_NEON) return 0;
    md_count_run(MD_FAMILY_ACTIVATIONS, MD_CPU_NEON);
    if (channels > 0 && pixels > 0) md_softmax_channels_neon(data, channels, pixels, stride);
    return 1;
#else
    (void)data, (void)channels, (void)pixels, (void)stride;
    return 0;
#endif
}
#endif
