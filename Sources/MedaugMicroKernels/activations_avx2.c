// tanh, sigmoid and channel softmax, AVX2 + FMA tier: activations.c's
// AVX-512 algorithms on 8 lanes (the same polynomials; 2^n applied as two
// exact power-of-two products instead of scalef).
#include "md_microkernels.h"
#include "activations.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define TARGET __attribute__((target("avx2,fma")))

// Lanes [0, n) of 8, as a maskload/maskstore mask.
static inline TARGET __m256i first_lanes(long n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 8 ? n : 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// 2^n for whole n in [−75, 64] (a normal float built from its exponent).
static inline TARGET __m256 power_of_two(__m256i n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

// e^x as exp16: x = n·ln2 + r, e^r by Cephes expf's polynomial, then ·2^n
// as ·2^⌊n/2⌋·2^(n−⌊n/2⌋), both factors normal, so 0 and +inf still come
// out at the ends of the range.
static TARGET __m256 exp8(__m256 x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.7f)), _mm256_set1_ps(-104.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i k = _mm256_cvtps_epi32(n), k1 = _mm256_srai_epi32(k, 1);
    return _mm256_mul_ps(_mm256_mul_ps(p, power_of_two(k1)), power_of_two(_mm256_sub_epi32(k, k1)));
}

// tanh as tanh16: odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1)
// with x's sign above. NaN stays NaN.
static TARGET __m256 tanh8(__m256 x) {
    const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN));
    __m256 magnitude = _mm256_andnot_ps(sign, x);
    __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
    __m256 e = exp8(_mm256_add_ps(magnitude, magnitude));
    __m256 large = _mm256_sub_ps(_mm256_set1_ps(1.0f),
                                 _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    large = _mm256_or_ps(large, _mm256_and_ps(x, sign));
    __m256 y = _mm256_blendv_ps(large, small, _mm256_cmp_ps(magnitude, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// 1/(1 + e^−x). NaN stays NaN.
static TARGET __m256 sigmoid8(__m256 x) {
    __m256 y = _mm256_div_ps(_mm256_set1_ps(1.0f),
                             _mm256_add_ps(_mm256_set1_ps(1.0f), exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

TARGET void md_affine_activate_avx2(float *data, long count, float scale, float shift, int tanh) {
    __m256 s = _mm256_set1_ps(scale), t = _mm256_set1_ps(shift);
    for (long i = 0; i < count; i += 8) {
        __m256i m = first_lanes(count - i);
        // Multiply, then add (not fused), as the scalar path rounds.
        __m256 x = _mm256_add_ps(_mm256_mul_ps(_mm256_maskload_ps(data + i, m), s), t);
        _mm256_maskstore_ps(data + i, m, tanh ? tanh8(x) : sigmoid8(x));
    }
}

TARGET void md_softmax_channels_avx2(float *data, int channels, long pixels, long stride) {
    for (long i = 0; i < pixels; i += 8) {
        __m256i m = first_lanes(pixels - i);
        __m256 peak = _mm256_set1_ps(-INFINITY);
        for (int c = 0; c < channels; c++) peak = _mm256_max_ps(peak, _mm256_maskload_ps(data + c * stride + i, m));
        __m256 sum = _mm256_setzero_ps();
        for (int c = 0; c < channels; c++) {
            float *p = data + c * stride + i;
            __m256 e = exp8(_mm256_sub_ps(_mm256_maskload_ps(p, m), peak));
            _mm256_maskstore_ps(p, m, e);
            sum = _mm256_add_ps(sum, e);
        }
        __m256 inverse = _mm256_div_ps(_mm256_set1_ps(1.0f), sum);
        for (int c = 0; c < channels; c++) {
            float *p = data + c * stride + i;
            _mm256_maskstore_ps(p, m, _mm256_mul_ps(_mm256_maskload_ps(p, m), inverse));
        }
    }
}
#endif
