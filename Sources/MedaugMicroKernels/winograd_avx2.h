// The AVX2 tier's Winograd steps (internal to the micro-kernels), run by
// winograd_run like the AVX-512 ones.
#ifndef MD_WINOGRAD_AVX2_H
#define MD_WINOGRAD_AVX2_H

#include "winograd_common.h"

#if defined(__x86_64__)
#include <immintrin.h>

// Lanes of the 8 floats from column x that lie inside [0, w), none when
// `row_inside` is 0.
static inline __attribute__((target("avx2,fma"))) __m256i winograd_inside8(int x, int w, int row_inside) {
    __m256i column = _mm256_add_epi32(_mm256_set1_epi32(x), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i in = _mm256_and_si256(_mm256_cmpgt_epi32(column, _mm256_set1_epi32(-1)),
                                  _mm256_cmpgt_epi32(_mm256_set1_epi32(w), column));
    return row_inside ? in : _mm256_setzero_si256();
}

// The store-time activation (MD_ACTIVATION_*) on 8 lanes.
static inline __attribute__((target("avx2,fma"))) __m256 winograd_activate8(__m256 x, int activation, __m256 slope) {
    if (activation == MD_ACTIVATION_RELU) return _mm256_max_ps(x, _mm256_setzero_ps());
    if (activation == MD_ACTIVATION_LEAKY_RELU) {
        return _mm256_blendv_ps(_mm256_mul_ps(x, slope), x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
    }
    return x;
}
#endif

void md_winograd_f23_input_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f23_output_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_conv_input_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_conv_output_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end);
void md_winograd_f22_transposed_input_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                           int end);
void md_winograd_f22_transposed_output_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                            int end);

#endif
