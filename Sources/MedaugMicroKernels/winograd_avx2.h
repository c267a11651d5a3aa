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

// The 8 floats of `row` from column x, zero where outside [0, w) or when
// `row_inside` is 0; and the store of the lanes inside. Whole vectors take
// plain loads and stores: AMD's masked stores are microcoded (vmaskmovps
// to memory, many cycles each; the blocks GEMM's tile lost a quarter of
// its rate to them on an AMD EPYC Zen 4, sgemm_blocks_avx2.c). Only
// vectors that cross the image's edge are masked. The same values either
// way.
static inline __attribute__((target("avx2,fma"))) __m256 winograd_load8(const float *row, int x, int w,
                                                                         int row_inside) {
    if (row_inside && x >= 0 && x + 8 <= w) return _mm256_loadu_ps(row + x);
    return _mm256_maskload_ps(row + x, winograd_inside8(x, w, row_inside));
}

static inline __attribute__((target("avx2,fma"))) void winograd_store8(float *row, int x, int w, __m256 v) {
    if (x >= 0 && x + 8 <= w) {
        _mm256_storeu_ps(row + x, v);
    } else {
        _mm256_maskstore_ps(row + x, winograd_inside8(x, w, 1), v);
    }
}

// Within each 128-bit lane k: z[j] lane (4k + i) = x[i] lane (4k + j).
static inline __attribute__((target("avx2,fma"))) void transpose_lanes8(const __m256 x[4], __m256 z[4]) {
    __m256 t0 = _mm256_unpacklo_ps(x[0], x[1]), t1 = _mm256_unpackhi_ps(x[0], x[1]);
    __m256 t2 = _mm256_unpacklo_ps(x[2], x[3]), t3 = _mm256_unpackhi_ps(x[2], x[3]);
    z[0] = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(t0), _mm256_castps_pd(t2)));
    z[1] = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(t0), _mm256_castps_pd(t2)));
    z[2] = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(t1), _mm256_castps_pd(t3)));
    z[3] = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(t1), _mm256_castps_pd(t3)));
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
