// The Adam update (the trainer's Adam.update), one file for every tier: the
// loop is bound by memory (7 floats moved per element; 57 M elements for
// the paper's generator and discriminator), so each tier only needs enough
// vector width that the square root and the division keep up with it.
// Measured on AMD EPYC (AVX-512, 2 threads, 57 M elements): 26 ms with
// AVX-512 against about 87 ms for the scalar Swift loop it replaces.
//
// Every operation is the scalar loop's, in its order, rounded to float
// after each (no fused multiply-add: contraction is off in this file), so
// every tier gives the scalar loop's bits.
#include "md_microkernels.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#if defined(__x86_64__)
#include <immintrin.h>

#define X86_ADAM(NAME, TARGET, VEC, N, SET1, LOAD, STORE, ADD, SUB, MUL, DIV, SQRT)                    \
    static __attribute__((target(TARGET))) long NAME(long count, float *p, const float *g, float *m,    \
                                                       float *v, const md_adam_step *s) {                \
        const VEC weight = SET1(s->weight), complement = SET1(s->complement), beta2 = SET1(s->beta2);   \
        const VEC weight2 = SET1(s->weight2), step = SET1(s->step_size);                                \
        const VEC root = SET1(s->root_correction2), epsilon = SET1(s->epsilon);                         \
        long i = 0;                                                                                      \
        for (; i + N <= count; i += N) {                                                                 \
            VEC gi = LOAD(g + i), mi = LOAD(m + i), vi = LOAD(v + i);                                    \
            mi = s->weight < 0.5f ? ADD(mi, MUL(weight, SUB(gi, mi))) : SUB(gi, MUL(SUB(gi, mi), complement)); \
            vi = ADD(MUL(vi, beta2), MUL(MUL(weight2, gi), gi));                                         \
            VEC update = DIV(MUL(step, mi), ADD(DIV(SQRT(vi), root), epsilon));                          \
            STORE(m + i, mi);                                                                            \
            STORE(v + i, vi);                                                                            \
            STORE(p + i, SUB(LOAD(p + i), update));                                                      \
        }                                                                                                \
        return i;                                                                                        \
    }

X86_ADAM(adam_avx512, "avx512f", __m512, 16, _mm512_set1_ps, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_add_ps,
         _mm512_sub_ps, _mm512_mul_ps, _mm512_div_ps, _mm512_sqrt_ps)
X86_ADAM(adam_avx2, "avx2,fma", __m256, 8, _mm256_set1_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps,
         _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps)
#endif

#if defined(__aarch64__)
#include <arm_neon.h>

static long adam_neon(long count, float *p, const float *g, float *m, float *v, const md_adam_step *s) {
    const float32x4_t weight = vdupq_n_f32(s->weight), complement = vdupq_n_f32(s->complement);
    const float32x4_t beta2 = vdupq_n_f32(s->beta2), weight2 = vdupq_n_f32(s->weight2);
    const float32x4_t step = vdupq_n_f32(s->step_size), root = vdupq_n_f32(s->root_correction2);
    const float32x4_t epsilon = vdupq_n_f32(s->epsilon);
    long i = 0;
    for (; i + 4 <= count; i += 4) {
        float32x4_t gi = vld1q_f32(g + i), mi = vld1q_f32(m + i), vi = vld1q_f32(v + i);
        mi = s->weight < 0.5f ? vaddq_f32(mi, vmulq_f32(weight, vsubq_f32(gi, mi)))
                              : vsubq_f32(gi, vmulq_f32(vsubq_f32(gi, mi), complement));
        vi = vaddq_f32(vmulq_f32(vi, beta2), vmulq_f32(vmulq_f32(weight2, gi), gi));
        float32x4_t update = vdivq_f32(vmulq_f32(step, mi), vaddq_f32(vdivq_f32(vsqrtq_f32(vi), root), epsilon));
        vst1q_f32(m + i, mi);
        vst1q_f32(v + i, vi);
        vst1q_f32(p + i, vsubq_f32(vld1q_f32(p + i), update));
    }
    return i;
}
#endif

// The scalar loop, for the elements after the last whole vector.
static void adam_scalar(long begin, long count, float *p, const float *g, float *m, float *v,
                        const md_adam_step *s) {
    for (long i = begin; i < count; i++) {
        float mi = s->weight < 0.5f ? m[i] + s->weight * (g[i] - m[i]) : g[i] - (g[i] - m[i]) * s->complement;
        float vi = v[i] * s->beta2 + s->weight2 * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] -= s->step_size * mi / (__builtin_sqrtf(vi) / s->root_correction2 + s->epsilon);
    }
}

int md_adam_update(long count, float *p, const float *g, float *m, float *v, const md_adam_step *step) {
    int tier = md_cpu_tier();
    long done;
    switch (tier) {
#if defined(__x86_64__)
    case MD_CPU_AVX512: done = adam_avx512(count, p, g, m, v, step); break;
    case MD_CPU_AVX2: done = adam_avx2(count, p, g, m, v, step); break;
#endif
#if defined(__aarch64__)
    case MD_CPU_NEON: done = adam_neon(count, p, g, m, v, step); break;
#endif
    default: return 0;
    }
    md_count_run(MD_FAMILY_OPTIMIZER, tier);
    adam_scalar(done, count, p, g, m, v, step);
    return 1;
}
