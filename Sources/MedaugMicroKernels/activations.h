// The per-tier bodies of md_affine_activate and md_softmax_channels
// (internal to the micro-kernels); count, pixels, channels > 0.
#ifndef MD_ACTIVATIONS_H
#define MD_ACTIVATIONS_H

void md_affine_activate_avx2(float *data, long count, float scale, float shift, int tanh);
void md_softmax_channels_avx2(float *data, int channels, long pixels, long stride);
void md_affine_activate_neon(float *data, long count, float scale, float shift, int tanh);
void md_softmax_channels_neon(float *data, int channels, long pixels, long stride);

#endif
