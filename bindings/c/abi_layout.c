/*
** Compile-time pins of the C ABI (LP64): status codes, versions and the
** option structs' sizes and field offsets that Sources/MedaugC reads and
** writes by byte offset (Options.swift). A changed value fails to compile
** (a negative array size), so a header edit that would break binaries
** built against ABI 1 is caught by `make check`.
*/
#include <stddef.h>
#include "medaug.h"

#define PIN(name, condition) typedef char medaug_pin_##name[(condition) ? 1 : -1]

PIN(lp64, sizeof(size_t) == 8 && sizeof(void *) == 8);

PIN(ok, MEDAUG_OK == 0);
PIN(error, MEDAUG_ERROR == 1);
PIN(invalid_argument, MEDAUG_INVALID_ARGUMENT == 2);
PIN(io_error, MEDAUG_IO_ERROR == 3);
PIN(format_error, MEDAUG_FORMAT_ERROR == 4);
PIN(shape_mismatch, MEDAUG_SHAPE_MISMATCH == 5);
PIN(buffer_too_small, MEDAUG_BUFFER_TOO_SMALL == 6);
PIN(out_of_memory, MEDAUG_OUT_OF_MEMORY == 7);
PIN(unsupported, MEDAUG_UNSUPPORTED == 8);
PIN(cancelled, MEDAUG_CANCELLED == 9);
PIN(origins, MEDAUG_ORIGIN_REAL == 0 && MEDAUG_ORIGIN_CLASSIC == 1 && MEDAUG_ORIGIN_GENERATED == 2 &&
             MEDAUG_ORIGIN_GENERATED_EDITED == 3);
PIN(samples, MEDAUG_SAMPLE_DEFAULT == 0 && MEDAUG_SAMPLE_UINT8 == 1 && MEDAUG_SAMPLE_UINT16 == 2 &&
             MEDAUG_SAMPLE_FLOAT32 == 3);

PIN(abi_version, MEDAUG_ABI_VERSION == 1);
PIN(kinds, MEDAUG_KIND_GENERATOR == 1 && MEDAUG_KIND_DISCRIMINATOR == 2 && MEDAUG_KIND_SEGMENTER == 3);
PIN(normalization, MEDAUG_NORMALIZATION_DEFAULT == 0 && MEDAUG_NORMALIZATION_RUNNING == 1 &&
                   MEDAUG_NORMALIZATION_INSTANCE == 2);
PIN(dropout, MEDAUG_DROPOUT_DEFAULT == 0 && MEDAUG_DROPOUT_OFF == 1 && MEDAUG_DROPOUT_ON == 2);

PIN(info_size, sizeof(medaug_model_info_t) == 64);
PIN(info_kind, offsetof(medaug_model_info_t, kind) == 8);
PIN(info_normalization, offsetof(medaug_model_info_t, default_normalization) == 12);
PIN(info_dropout, offsetof(medaug_model_info_t, default_dropout) == 16);
PIN(info_format, offsetof(medaug_model_info_t, format_version) == 20);
PIN(info_image_size, offsetof(medaug_model_info_t, image_size) == 24);
PIN(info_input, offsetof(medaug_model_info_t, input_channels) == 32);
PIN(info_output, offsetof(medaug_model_info_t, output_channels) == 40);
PIN(info_image_channels, offsetof(medaug_model_info_t, image_channels) == 48);
PIN(info_classes, offsetof(medaug_model_info_t, class_count) == 56);

PIN(session_size, sizeof(medaug_session_options_t) == 24);
PIN(session_threads, offsetof(medaug_session_options_t, threads) == 8);
PIN(session_reserved, offsetof(medaug_session_options_t, reserved) == 12);
PIN(session_memory, offsetof(medaug_session_options_t, memory_limit_bytes) == 16);

PIN(generate_size, sizeof(medaug_generate_options_t) == 24);
PIN(generate_normalization, offsetof(medaug_generate_options_t, normalization) == 8);
PIN(generate_dropout, offsetof(medaug_generate_options_t, dropout) == 12);
PIN(generate_seed, offsetof(medaug_generate_options_t, seed) == 16);

PIN(segment_size, sizeof(medaug_segment_options_t) == 16);
PIN(segment_normalization, offsetof(medaug_segment_options_t, normalization) == 8);
PIN(segment_reserved, offsetof(medaug_segment_options_t, reserved) == 12);

PIN(augment_size, sizeof(medaug_augment_options_t) == 32);
PIN(augment_spacing, offsetof(medaug_augment_options_t, spacing_row) == 8 &&
                     offsetof(medaug_augment_options_t, spacing_column) == 16);
PIN(augment_threads, offsetof(medaug_augment_options_t, threads) == 24);
PIN(augment_reserved, offsetof(medaug_augment_options_t, reserved) == 28);

PIN(expand_size, sizeof(medaug_expand_options_t) == 112);
PIN(expand_target, offsetof(medaug_expand_options_t, target) == 8);
PIN(expand_shares, offsetof(medaug_expand_options_t, generated_share) == 16 &&
                   offsetof(medaug_expand_options_t, edit_share) == 24);
PIN(expand_edit_values, offsetof(medaug_expand_options_t, edit_values) == 32 &&
                        offsetof(medaug_expand_options_t, edit_value_count) == 40);
PIN(expand_pipelines, offsetof(medaug_expand_options_t, pipeline_json) == 48 &&
                      offsetof(medaug_expand_options_t, mask_pipeline_json) == 56);
PIN(expand_seed, offsetof(medaug_expand_options_t, seed) == 64);
PIN(expand_modes, offsetof(medaug_expand_options_t, normalization) == 72 &&
                  offsetof(medaug_expand_options_t, dropout) == 76);
PIN(expand_flags, offsetof(medaug_expand_options_t, threads) == 80 && offsetof(medaug_expand_options_t, classic_only) == 84 &&
                  offsetof(medaug_expand_options_t, overwrite) == 88 && offsetof(medaug_expand_options_t, reserved) == 92);
PIN(expand_progress, offsetof(medaug_expand_options_t, progress) == 96 &&
                     offsetof(medaug_expand_options_t, progress_user_data) == 104);

PIN(metrics_size, sizeof(medaug_metrics_options_t) == 56);
PIN(metrics_doubles, offsetof(medaug_metrics_options_t, smoothing) == 8 &&
                     offsetof(medaug_metrics_options_t, hausdorff_percentile) == 16 &&
                     offsetof(medaug_metrics_options_t, spacing_row) == 24 &&
                     offsetof(medaug_metrics_options_t, spacing_column) == 32);
PIN(metrics_regions, offsetof(medaug_metrics_options_t, regions_json) == 40);
PIN(metrics_flags, offsetof(medaug_metrics_options_t, count_absent_as_one) == 48 &&
                   offsetof(medaug_metrics_options_t, skip_hausdorff) == 52);

/* One external definition, so the translation unit is not empty. */
int abi_layout_checked(void);
int abi_layout_checked(void) { return 1; }
