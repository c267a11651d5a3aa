/*
** medaug.h: the C interface of libmedaug.so
**
** medaug generates synthetic biomedical images with a pix2pix-style
** conditional GAN (label map -> image) and segments images with a U-Net.
** This header is the contract and the official documentation of the
** library's C interface: every function is documented at its declaration.
** Plain C99; usable from C++ (extern "C") and from Python through ctypes.
**
** CONVENTIONS
**
**   Names        Functions medaug_<object>_<verb>, types medaug_<object>_t,
**                macros and status codes MEDAUG_*. Only the functions
**                declared here are exported by libmedaug.so.
**
**   Status codes Every function that can fail returns an int status:
**                MEDAUG_OK (0) or one of the MEDAUG_* codes below. Codes are
**                never renumbered; new codes may be added in later versions,
**                so treat any unknown non-zero value as a failure.
**                medaug_last_error() then says, in English UTF-8, what was
**                wrong (which argument, what was expected, what was found).
**
**   Errors       No argument value can crash the library: NULL pointers,
**                zero or huge sizes, mismatched shapes, NaN or infinite
**                input, unknown label values, freed or foreign handles (where
**                detectable, see medaug_model_free) are reported as statuses.
**                What the library cannot check is whether a buffer really
**                holds as many elements as the caller says it does.
**
**   Handles      medaug_model_t and medaug_session_t are opaque. A function
**                that creates a handle writes it through an out-parameter;
**                after any failure that out-parameter holds NULL. Every
**                destroy function accepts NULL as a harmless no-op.
**
**   Ownership    Input buffers are only read during the call; the caller
**                keeps ownership and may free them on return. Output buffers
**                are allocated by the caller ("caller-allocated") and sized
**                with the matching *_count function, except strings the
**                library allocates, which name their one free function.
**
**   Buffers      Arrays are dense, row-major, C order. Images are float32
**                NCHW: [n][channels][height][width], intensities in [-1, 1].
**                Label maps are int32 [n][height][width] holding the stored
**                label values the model lists (medaug_model_label_values),
**                e.g. 0, 1, 2, 4 for BraTS, not class indices. Sizes and
**                capacities count elements, not bytes. Pointers must be
**                aligned for their element type.
**
**   Capacity     A caller-allocated output is given as a pointer plus its
**                capacity in elements. If the capacity is smaller than
**                needed, nothing is computed or written, the call returns
**                MEDAUG_BUFFER_TOO_SMALL and the message gives the count
**                needed; the *_count functions give it in advance.
**
**   Options      Options structs begin with size_t struct_size, which the
**                caller sets to sizeof the struct (the *_INIT macros do, with
**                every field at its default). Every field's default is zero,
**                so a struct from an older header reads as the defaults for
**                the fields it lacks; a struct from a newer header is
**                accepted if the fields this library does not know are zero,
**                else the call returns MEDAUG_UNSUPPORTED. A NULL options
**                pointer means all defaults.
**
**   Defaults     Where a call does not say which normalisation or dropout
**                mode to use, the mode recorded in the model file applies
**                (medaug_model_info reports it).
**
**   Threads      A loaded model is immutable and may be shared by any number
**                of threads and sessions. A session (arena, thread count,
**                scratch) is used by one thread at a time; a call on a
**                session that is in use by another thread returns
**                MEDAUG_INVALID_ARGUMENT rather than racing. Many sessions
**                on one model run concurrently. Error messages are per
**                thread.
**
**   Determinism  With dropout off, outputs are a function of the inputs.
**                With dropout on, the seed keys the dropout masks: the same
**                seed gives bitwise the same images at a given session
**                thread count, and agreement within 1e-5 across thread
**                counts.
**
** EXAMPLE: load a generator, synthesise one image, free everything.
**
**   #include <stdio.h>
**   #include <stdlib.h>
**   #include "medaug.h"
**
**   int main(int argc, char **argv) {
**       medaug_model_t *model = NULL;
**       medaug_session_t *session = NULL;
**       medaug_model_info_t info = MEDAUG_MODEL_INFO_INIT;
**       medaug_generate_options_t options = MEDAUG_GENERATE_OPTIONS_INIT;
**       int32_t *values = NULL, *labels = NULL;
**       float *image = NULL;
**       size_t count = 0, side = 0, i;
**       int status;
**
**       if (argc < 2 || medaug_abi_version() != MEDAUG_ABI_VERSION) return 2;
**       status = medaug_model_load_file(argv[1], &model);
**       if (status == MEDAUG_OK) status = medaug_model_info(model, &info);
**       if (status == MEDAUG_OK) {
**           side = info.image_size;
**           values = malloc(info.class_count * sizeof *values);
**           labels = malloc(side * side * sizeof *labels);
**           if (values == NULL || labels == NULL) status = MEDAUG_OUT_OF_MEMORY;
**       }
**       if (status == MEDAUG_OK) status = medaug_model_label_values(model, values, info.class_count);
**       if (status == MEDAUG_OK) status = medaug_session_create(model, NULL, &session);
**       if (status == MEDAUG_OK) status = medaug_generate_output_count(session, 1, &count);
**       if (status == MEDAUG_OK && (image = malloc(count * sizeof *image)) == NULL)
**           status = MEDAUG_OUT_OF_MEMORY;
**       if (status == MEDAUG_OK) {
**           for (i = 0; i < side * side; i++)          // left half: the first class,
**               labels[i] = values[(i % side) < side / 2 ? 0 : info.class_count - 1];  // right: the last
**           options.dropout = MEDAUG_DROPOUT_ON;       // the pix2pix noise, seeded
**           options.seed = 7;
**           status = medaug_generate(session, labels, 1, side, side, &options, image, count);
**       }
**       if (status == MEDAUG_OK) printf("first pixel %f\n", image[0]);
**       else fprintf(stderr, "%s: %s\n", medaug_status_string(status), medaug_last_error());
**       free(image);
**       free(labels);
**       free(values);
**       (void)medaug_session_free(session);          // NULL is a no-op
**       (void)medaug_model_free(model);
**       return status == MEDAUG_OK ? 0 : 1;
**   }
**
** A complete program with segmentation is bindings/c/example.c.
*/
#ifndef MEDAUG_H
#define MEDAUG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
** Declaration decorations. MEDAUG_API marks a function of this interface;
** MEDAUG_NODISCARD makes the compiler warn when a returned status is
** ignored (GCC and Clang; empty elsewhere). Destroy functions are not
** marked: ignoring their status is legitimate in cleanup code.
*/
#define MEDAUG_API extern
#if defined(__GNUC__) || defined(__clang__)
#define MEDAUG_NODISCARD __attribute__((warn_unused_result))
#else
#define MEDAUG_NODISCARD
#endif

/*
** CAPI: Compile-Time Versions
**
** MEDAUG_VERSION is the library version of this header as "X.Y.Z";
** MEDAUG_VERSION_NUMBER is X*1000000 + Y*1000 + Z. MEDAUG_ABI_VERSION
** changes only when a binary built against an older header could break:
** functions and status codes are only added, structs only grow at the end.
** Compare them with medaug_version_number() and medaug_abi_version() to
** check that header and library match.
**
** Since: 0.1.0 (ABI 1)
*/
#define MEDAUG_VERSION        "0.3.0"
#define MEDAUG_VERSION_NUMBER 3000
#define MEDAUG_ABI_VERSION    1

/*
** CAPI: Status Codes
**
** Returned by every function that can fail. Numbered once, never
** renumbered; new codes may be added in future versions.
** medaug_status_string() names a code, medaug_last_error() explains the
** failure.
**
** Since: 0.1.0 (ABI 1)
*/
#define MEDAUG_OK               0 /* Success */
#define MEDAUG_ERROR            1 /* Internal error (a bug in medaug; the message says where) */
#define MEDAUG_INVALID_ARGUMENT 2 /* NULL, zero or out-of-range argument, unknown label value,
                                     non-finite input, freed/foreign/busy handle, bad options */
#define MEDAUG_IO_ERROR         3 /* A file could not be opened, read or mapped */
#define MEDAUG_FORMAT_ERROR     4 /* A file (model, image, volume) or its contents are malformed */
#define MEDAUG_SHAPE_MISMATCH   5 /* Array dimensions do not fit the model */
#define MEDAUG_BUFFER_TOO_SMALL 6 /* An output capacity is smaller than needed; nothing written */
#define MEDAUG_OUT_OF_MEMORY    7 /* An allocation failed */
#define MEDAUG_UNSUPPORTED      8 /* The operation does not apply to this model kind, the
                                     options set fields this library version does not know,
                                     or MEDAUG_CPU names a CPU tier this machine lacks */
#define MEDAUG_CANCELLED        9 /* A progress callback asked to stop; nothing was written */

/*
** CAPI: Model Kinds
**
** What medaug_model_info_t.kind holds: which network a model file holds.
**
** Since: 0.1.0 (ABI 1)
*/
#define MEDAUG_KIND_GENERATOR     1 /* label map -> image (medaug_generate) */
#define MEDAUG_KIND_DISCRIMINATOR 2 /* PatchGAN (training only; no inference function yet) */
#define MEDAUG_KIND_SEGMENTER     3 /* image -> class probabilities (medaug_segment) */

/*
** CAPI: Inference Modes
**
** Normalisation: MEDAUG_NORMALIZATION_RUNNING is eval-mode BatchNorm with
** the stored running statistics (the fast path); _INSTANCE uses each
** image's own per-channel statistics (pix2pix at test time). Dropout:
** _OFF is deterministic, _ON applies the seeded dropout masks (the pix2pix
** noise). The _DEFAULT values (0) select the mode the model file records.
**
** Since: 0.1.0 (ABI 1)
*/
#define MEDAUG_NORMALIZATION_DEFAULT  0
#define MEDAUG_NORMALIZATION_RUNNING  1
#define MEDAUG_NORMALIZATION_INSTANCE 2
#define MEDAUG_DROPOUT_DEFAULT 0
#define MEDAUG_DROPOUT_OFF     1
#define MEDAUG_DROPOUT_ON      2

/*
** CAPI: Handles
**
** A medaug_model_t is a loaded, validated model file: immutable, shareable
** across threads, freed with medaug_model_free(). A medaug_session_t runs
** one model with its own memory arena and thread count, is used by one
** thread at a time, and is freed with medaug_session_free(). Both are
** opaque: their layout is not part of the interface.
**
** Since: 0.1.0 (ABI 1)
*/
typedef struct medaug_model medaug_model_t;
typedef struct medaug_session medaug_session_t;

/*
** CAPI: Model Information
**
** Filled by medaug_model_info(). The caller sets struct_size (the
** MEDAUG_MODEL_INFO_INIT initialiser does); the library fills the fields
** that fit in struct_size and sets fields it does not know to zero.
**
**   image_channels  image channels (modalities): the generator's output,
**                   the segmenter's input, the discriminator's image input.
**   class_count     label classes: the generator's one-hot input channels,
**                   the segmenter's output channels.
**
** Since: 0.1.0 (ABI 1)
*/
typedef struct medaug_model_info {
    size_t struct_size;            /* [in] sizeof(medaug_model_info_t) */
    int32_t kind;                  /* MEDAUG_KIND_* */
    int32_t default_normalization; /* MEDAUG_NORMALIZATION_RUNNING or _INSTANCE: recorded in the file */
    int32_t default_dropout;       /* MEDAUG_DROPOUT_OFF or _ON: recorded in the file */
    int32_t format_version;        /* the file's "format_version" (1) */
    size_t image_size;             /* side of the square images, pixels */
    size_t input_channels;         /* channels of the network input */
    size_t output_channels;        /* channels of the network output */
    size_t image_channels;         /* image channels (modalities) */
    size_t class_count;            /* number of label classes (and label values) */
} medaug_model_info_t;

#define MEDAUG_MODEL_INFO_INIT { sizeof(medaug_model_info_t), 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/*
** CAPI: Session Options
**
** For medaug_session_create(). Initialise with MEDAUG_SESSION_OPTIONS_INIT
** (all defaults), then set fields.
**
**   threads             worker threads of this session's own (1...256);
**                       0: the default, 1. Sessions never change the
**                       process-wide OpenBLAS thread count.
**   memory_limit_bytes  the most memory one call may plan: its arena, and
**                       separately its copies of the input and output, must
**                       each fit, else the call fails with
**                       MEDAUG_INVALID_ARGUMENT before allocating them.
**                       A batch runs in passes of as many images as fit
**                       this limit and 96 MiB of arena (at least one image;
**                       outputs bitwise those of one pass), so only an
**                       arena for a single image can be over it.
**                       0: the default, 8 GiB.
**
** Since: 0.1.0 (ABI 1)
*/
typedef struct medaug_session_options {
    size_t struct_size;          /* [in] sizeof(medaug_session_options_t) */
    int32_t threads;             /* 0 = default (1) */
    int32_t reserved;            /* must be 0 */
    uint64_t memory_limit_bytes; /* 0 = default (8 GiB) */
} medaug_session_options_t;

#define MEDAUG_SESSION_OPTIONS_INIT { sizeof(medaug_session_options_t), 0, 0, 0 }

/*
** CAPI: Generate Options
**
** For medaug_generate(). Initialise with MEDAUG_GENERATE_OPTIONS_INIT (the
** model file's modes, seed 0), then set fields.
**
**   normalization  MEDAUG_NORMALIZATION_*; 0 = the model file's mode.
**   dropout        MEDAUG_DROPOUT_*; 0 = the model file's mode.
**   seed           keys the dropout masks (ignored with dropout off).
**
** Since: 0.1.0 (ABI 1)
*/
typedef struct medaug_generate_options {
    size_t struct_size;    /* [in] sizeof(medaug_generate_options_t) */
    int32_t normalization; /* MEDAUG_NORMALIZATION_* */
    int32_t dropout;       /* MEDAUG_DROPOUT_* */
    uint64_t seed;         /* dropout seed */
} medaug_generate_options_t;

#define MEDAUG_GENERATE_OPTIONS_INIT { sizeof(medaug_generate_options_t), 0, 0, 0 }

/*
** CAPI: Segment Options
**
** For medaug_segment(). Initialise with MEDAUG_SEGMENT_OPTIONS_INIT.
**
**   normalization  MEDAUG_NORMALIZATION_*; 0 = the model file's mode.
**
** Since: 0.1.0 (ABI 1)
*/
typedef struct medaug_segment_options {
    size_t struct_size;    /* [in] sizeof(medaug_segment_options_t) */
    int32_t normalization; /* MEDAUG_NORMALIZATION_* */
    int32_t reserved;      /* must be 0 */
} medaug_segment_options_t;

#define MEDAUG_SEGMENT_OPTIONS_INIT { sizeof(medaug_segment_options_t), 0, 0 }

/*
** CAPI: Library Version
**
** medaug_version() returns the library's MEDAUG_VERSION string ("0.3.0"),
** static, never NULL, never to be freed. medaug_version_number() returns
** its MEDAUG_VERSION_NUMBER. A program compares them with the macros of
** the header it was compiled with.
**
** Returns: the version; cannot fail. Does not change medaug_last_error().
** Thread-safety: any thread, any time.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API const char *medaug_version(void);
MEDAUG_API int medaug_version_number(void);

/*
** CAPI: ABI Version
**
** Returns the library's MEDAUG_ABI_VERSION. A program (or binding) built
** against a header whose MEDAUG_ABI_VERSION differs must not use the
** library.
**
** Returns: the ABI version; cannot fail. Does not change medaug_last_error().
** Thread-safety: any thread, any time.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API int medaug_abi_version(void);

/*
** CAPI: CPU Tier
**
** Returns the instruction-set tier medaug's own kernels use in this
** process: "avx512" (x86-64 with AVX-512 F/BW/DQ/VL), "avx2" (AVX2 + FMA),
** "neon" (aarch64) or "generic". It is detected once per process; the
** environment variable MEDAUG_CPU=generic|avx2|avx512|neon, read at the
** first call into the library, forces a tier the CPU has (to compare or
** test tiers). When MEDAUG_CPU names an unknown tier or one this CPU lacks,
** every other medaug function fails with MEDAUG_UNSUPPORTED and a
** message saying so, and this function returns the detected tier.
**
** Network outputs are bitwise reproducible for a given tier and thread
** count; across tiers they agree within 1e-5. See the README's
** "Determinism" section.
**
** Returns: a static string, never NULL, never to be freed; cannot fail.
** Does not change medaug_last_error().
** Thread-safety: any thread, any time.
** Since: 0.3.0 (ABI 1, symbol version MEDAUG_1.2)
*/
MEDAUG_API const char *medaug_cpu_tier(void);

/*
** CAPI: Last Error Message
**
** Returns the calling thread's message for the last medaug function it
** called that returns a status: English UTF-8 saying what was wrong, or
** "" if that call returned MEDAUG_OK or the thread has made no call yet.
**
** Ownership: the string belongs to the library. It stays valid until the
** same thread calls a medaug function that returns a status (every
** function except medaug_version, medaug_version_number,
** medaug_abi_version, medaug_last_error, medaug_status_string and
** medaug_string_free) or exits. Copy it to keep it. Never NULL.
**
** Returns: the message; cannot fail.
** Thread-safety: any thread; each thread has its own message.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API const char *medaug_last_error(void);

/*
** CAPI: Status Code Names
**
** Returns a static English description of a status code ("invalid
** argument" for MEDAUG_INVALID_ARGUMENT), or "unknown status code" for a
** value that is not one. Never NULL, never to be freed.
**
** Parameters:
**   [in] status  any int.
**
** Returns: the description; cannot fail. Does not change medaug_last_error().
** Thread-safety: any thread, any time.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API const char *medaug_status_string(int status);

/*
** CAPI: Load A Model From A File
** CONSTRUCTOR: medaug_model_t
**
** Opens, reads and validates a safetensors model file: the architecture
** under __metadata__["medaug"], every tensor's name, dtype, shape and byte
** range. The file's bytes are copied into memory the model owns (as ONNX
** Runtime does), so the file may be deleted, overwritten or truncated
** after the call without reaching the loaded model. (Before 0.3.0 the file
** was memory-mapped; medaug_model_load_file_mapped() still maps it.)
**
** Parameters:
**   [in]  path   file path, NUL-terminated UTF-8; not NULL. Only read
**                during the call.
**   [out] model  not NULL; receives the new handle, or NULL on failure.
**                The caller owns the handle and frees it with
**                medaug_model_free().
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  path or model is NULL, or path is not UTF-8;
**   MEDAUG_IO_ERROR          the file cannot be opened or read, changed
**                            size while being read, or is not a regular
**                            file (a FIFO, socket, device or folder is
**                            refused without blocking);
**   MEDAUG_FORMAT_ERROR      the file is not a valid medaug model (the
**                            message names the offending key or tensor);
**   MEDAUG_OUT_OF_MEMORY     an allocation failed.
**
** Thread-safety: any thread; concurrent loads are independent.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_model_load_file(const char *path, medaug_model_t **model);

/*
** CAPI: Load A Model By Memory-Mapping Its File
** CONSTRUCTOR: medaug_model_t
**
** As medaug_model_load_file(), but the file is memory-mapped instead of
** copied: no copy of the weights is made, and processes that map the same
** file share its pages. The risk is the caller's: the file must not be
** modified or truncated while the model (or a session made from it) is
** alive. A write to the file shows up in the weights, mixing old and new
** values; truncating it makes the next access to a lost page raise SIGBUS,
** which kills the process. Deleting or renaming the file is safe (the
** mapping keeps the old contents), so replace a model file by writing a
** new file and renaming it over the old one.
**
** Parameters:
**   [in]  path   file path, NUL-terminated UTF-8; not NULL. Only read
**                during the call.
**   [out] model  not NULL; receives the new handle, or NULL on failure.
**                The caller owns the handle and frees it with
**                medaug_model_free().
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  path or model is NULL, or path is not UTF-8;
**   MEDAUG_IO_ERROR          the file cannot be opened or mapped, or is not
**                            a regular file;
**   MEDAUG_FORMAT_ERROR      the file is not a valid medaug model;
**   MEDAUG_OUT_OF_MEMORY     an allocation failed.
**
** Thread-safety: any thread; concurrent loads are independent.
** Since: 0.3.0 (ABI 1, symbol version MEDAUG_1.2)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_model_load_file_mapped(const char *path, medaug_model_t **model);

/*
** CAPI: Load A Model From Memory
** CONSTRUCTOR: medaug_model_t
**
** Like medaug_model_load_file(), from the bytes of a model file in memory.
** The bytes are copied once (into aligned memory) before the call
** returns; the caller keeps ownership of its buffer and may free it then.
**
** Parameters:
**   [in]  bytes  the file's contents; not NULL. Only read during the call.
**   [in]  size   number of bytes at bytes; at least 8.
**   [out] model  not NULL; receives the new handle, or NULL on failure.
**                Free it with medaug_model_free().
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  bytes or model is NULL, or size is 0 or
**                            above MEDAUG_LIMIT_MODEL_BYTES (default
**                            64 GiB; refused before any allocation);
**   MEDAUG_FORMAT_ERROR      the bytes are not a valid medaug model
**                            (including size below 8);
**   MEDAUG_OUT_OF_MEMORY     the copy could not be allocated.
**
** Thread-safety: any thread; concurrent loads are independent.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_model_load_memory(const void *bytes, size_t size, medaug_model_t **model);

/*
** CAPI: Free A Model
** DESTRUCTOR: medaug_model_t
**
** Releases the caller's handle. Sessions created from the model keep what
** they need alive, so a model may be freed while its sessions are still in
** use; the memory goes when the last session is freed too. The library
** keeps a registry of live handles, so freeing a handle twice, or passing
** a pointer that is not a live model handle, is detected and reported
** instead of corrupting memory, unless the address has meanwhile been
** reused for a new model.
**
** Parameters:
**   [in] model  a handle from medaug_model_load_*(), or NULL (a no-op that
**               returns MEDAUG_OK). Invalid after the call.
**
** Returns:
**   MEDAUG_OK                on success and for NULL;
**   MEDAUG_INVALID_ARGUMENT  model is not a live model handle (already
**                            freed, a session, or a foreign pointer);
**                            nothing is freed.
**
** Thread-safety: any thread, but no other thread may use this handle
** during or after the call (sessions created from it stay usable).
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API int medaug_model_free(medaug_model_t *model);

/*
** CAPI: Write a New Model File
**
** Writes a randomly initialised model of the default architecture (weights
** ~ N(0, 0.02), as pix2pix; `medaug model init --kind` without further
** options) to `path`, atomically (a temporary file renamed into place):
** the paper's generator or discriminator, or the standard segmenter
** (depth 4, 32 base filters), for square images of image_size pixels,
** `classes` classes named class_0, ... with stored label values 0, 1, ...,
** and `channels` image channels. Train it with the CLI (`medaug train-gan`,
** `medaug train-seg --init`), or load it to check a pipeline end to end.
**
** Parameters:
**   [in]  kind        MEDAUG_KIND_GENERATOR, _DISCRIMINATOR or _SEGMENTER.
**   [in]  image_size  8...2048, and one the network's depth can halve
**                     down (the paper generator: a multiple of 256's
**                     power-of-two steps; the segmenter: a multiple of 16).
**   [in]  classes     2...256.
**   [in]  channels    1...16.
**   [in]  seed        seed of the random weights (the same seed, the same
**                     file).
**   [in]  path        UTF-8 path of the .safetensors file; not NULL.
**
** Returns: MEDAUG_OK; MEDAUG_INVALID_ARGUMENT (a value out of range, or
** sizes the architecture does not take: the message says why);
** MEDAUG_IO_ERROR (cannot write `path`; nothing is left behind);
** MEDAUG_OUT_OF_MEMORY.
**
** Thread-safety: any thread.
** Since: 0.3.0 (ABI 1, symbol version MEDAUG_1.2)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_model_init(int32_t kind, int32_t image_size, int32_t classes,
                                                  int32_t channels, uint64_t seed, const char *path);

/*
** CAPI: Model Information
** METHOD: medaug_model_t
**
** Describes the model: kind, channels, image size, classes, and the
** inference modes the file records as defaults.
**
** Parameters:
**   [in]     model  a live model handle; not NULL.
**   [in,out] info   not NULL, aligned for size_t; the caller sets
**                   info->struct_size (MEDAUG_MODEL_INFO_INIT does), the
**                   library fills the rest. Untouched on failure.
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  model is NULL or not a live model handle,
**                            info is NULL or misaligned, or
**                            info->struct_size is smaller than the
**                            0.1.0 struct or larger than 4096.
**
** Thread-safety: any thread; a model may be queried concurrently.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_model_info(const medaug_model_t *model, medaug_model_info_t *info);

/*
** CAPI: Model Label Values
** METHOD: medaug_model_t
**
** Writes the stored label value of each class, in class order: class
** index i <=> values[i]. These are the values medaug_generate() accepts
** and medaug_segment() returns.
**
** Parameters:
**   [in]  model     a live model handle; not NULL.
**   [out] values    caller-allocated int32 array of capacity elements;
**                   not NULL. Untouched on failure.
**   [in]  capacity  elements at values; at least info.class_count.
**
** Returns:
**   MEDAUG_OK                on success (class_count values written);
**   MEDAUG_INVALID_ARGUMENT  model is NULL or not a live model handle,
**                            or values is NULL or misaligned;
**   MEDAUG_BUFFER_TOO_SMALL  capacity < class_count; nothing written.
**
** Thread-safety: any thread; a model may be queried concurrently.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_model_label_values(const medaug_model_t *model, int32_t *values, size_t capacity);

/*
** CAPI: Model Configuration JSON
** METHOD: medaug_model_t
**
** Returns the model's architecture as the JSON object stored in the file
** (docs/weights-format.md: kind, channels, filters, classes, label values,
** channel names, inference modes, ...), keys sorted, UTF-8.
**
** Parameters:
**   [in]  model  a live model handle; not NULL.
**   [out] json   not NULL; receives a NUL-terminated string allocated by
**                the library, or NULL on failure. The caller owns it and
**                frees it with medaug_string_free().
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  model is NULL or not a live model handle, or
**                            json is NULL;
**   MEDAUG_OUT_OF_MEMORY     the string could not be allocated.
**
** Thread-safety: any thread; a model may be queried concurrently.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_model_config_json(const medaug_model_t *model, char **json);

/*
** CAPI: Free A String
** DESTRUCTOR: strings from the library
**
** Frees a string the library allocated (medaug_model_config_json,
** medaug_volume_series_json, medaug_expand_dataset_plan). NULL
** is a no-op. Passing anything else is undefined behaviour: strings are
** not tracked. Do not pass medaug_last_error() or medaug_version() results.
**
** Parameters:
**   [in] string  a library-allocated string, or NULL. Invalid after the call.
**
** Returns: nothing; cannot fail. Does not change medaug_last_error().
** Thread-safety: any thread.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API void medaug_string_free(char *string);

/*
** CAPI: Create A Session
** CONSTRUCTOR: medaug_session_t
**
** Creates a session running model with its own arena, scratch memory and
** worker threads. The arena is planned and allocated on the first run at
** each pass size (see memory_limit_bytes) and reused afterwards. The session keeps the model
** alive (the caller may free its model handle first).
**
** Parameters:
**   [in]  model    a live model handle; not NULL.
**   [in]  options  threads and memory limit, or NULL for the defaults
**                  (see medaug_session_options_t). Only read during the call.
**   [out] session  not NULL; receives the new handle, or NULL on failure.
**                  The caller owns it and frees it with medaug_session_free().
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  model is NULL or not a live model handle,
**                            session is NULL, options is misaligned, its
**                            struct_size is too small or above 4096, or
**                            threads is outside 0...256;
**   MEDAUG_UNSUPPORTED       options sets fields this version does not know.
**
** Thread-safety: any thread; many sessions may be created on one model
** concurrently.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_session_create(const medaug_model_t *model,
                                                      const medaug_session_options_t *options,
                                                      medaug_session_t **session);

/*
** CAPI: Free A Session
** DESTRUCTOR: medaug_session_t
**
** Stops the session's worker threads and frees its memory. Double frees
** and foreign pointers are detected as for medaug_model_free().
**
** Parameters:
**   [in] session  a handle from medaug_session_create(), or NULL (a no-op
**                 that returns MEDAUG_OK). Invalid after the call.
**
** Returns:
**   MEDAUG_OK                on success and for NULL;
**   MEDAUG_INVALID_ARGUMENT  session is not a live session handle, or
**                            another thread is running a call on it;
**                            nothing is freed.
**
** Thread-safety: any thread, once no other thread uses the session.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API int medaug_session_free(medaug_session_t *session);

/*
** CAPI: Generated Image Size
** METHOD: medaug_session_t
**
** The number of floats medaug_generate() writes for n label maps:
** n * image_channels * image_size * image_size.
**
** Parameters:
**   [in]  session  a live session on a generator model; not NULL.
**   [in]  n        number of label maps, at least 1.
**   [out] count    not NULL; receives the element count. Untouched on
**                  failure.
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  session is NULL or not a live session handle,
**                            count is NULL, n is 0, or the count overflows
**                            size_t;
**   MEDAUG_UNSUPPORTED       the model is not a generator.
**
** Thread-safety: any thread (reads only the session's model).
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_generate_output_count(const medaug_session_t *session, size_t n, size_t *count);

/*
** CAPI: Generate Synthetic Images
** METHOD: medaug_session_t
**
** Runs a generator on n label maps: each stored label value becomes its
** class's one-hot channel (through the model's label values), and the
** network's images, intensities in [-1, 1], are written to images as
** [n][image_channels][height][width].
**
** Parameters:
**   [in]  session       a live session on a generator model; not NULL.
**   [in]  labels        int32 [n][height][width] stored label values; not
**                       NULL, 4-byte aligned. Only read during the call.
**   [in]  n             number of label maps, 1...MEDAUG_LIMIT_BATCH (default 1024).
**   [in]  height        rows; must equal the model's image_size.
**   [in]  width         columns; must equal the model's image_size.
**   [in]  options       modes and seed, or NULL for the model file's modes
**                       and seed 0 (see medaug_generate_options_t).
**   [out] images        caller-allocated float array; not NULL, 4-byte
**                       aligned. Contents unspecified on failure.
**   [in]  images_count  capacity of images in floats; at least
**                       medaug_generate_output_count(session, n).
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  a pointer is NULL or misaligned, n is 0 or
**                            above 1024, a label value is not one of the
**                            model's label values (the message gives the
**                            first, and its index), options are invalid
**                            (struct_size, an unknown mode), the session is
**                            not live or is in use by another thread, or
**                            the call needs more memory than the session's
**                            memory limit;
**   MEDAUG_SHAPE_MISMATCH    height or width differ from the image size;
**   MEDAUG_BUFFER_TOO_SMALL  images_count is below the output count;
**                            nothing is computed or written;
**   MEDAUG_UNSUPPORTED       the model is not a generator, or options set
**                            fields this version does not know;
**   MEDAUG_ERROR             an internal error.
**
** Thread-safety: one thread at a time per session; different sessions
** (also on one shared model) run concurrently.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_generate(medaug_session_t *session, const int32_t *labels, size_t n,
                                                size_t height, size_t width,
                                                const medaug_generate_options_t *options,
                                                float *images, size_t images_count);

/*
** CAPI: Segmentation Output Sizes
** METHOD: medaug_session_t
**
** The element counts medaug_segment() writes for n images: probabilities
** n * class_count * image_size * image_size floats, labels n * image_size
** * image_size int32 values.
**
** Parameters:
**   [in]  session              a live session on a segmenter; not NULL.
**   [in]  n                    number of images, at least 1.
**   [out] probabilities_count  receives the probabilities count, or NULL.
**   [out] labels_count         receives the labels count, or NULL.
**                              Outputs are untouched on failure.
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  session is NULL or not a live session handle,
**                            n is 0, both outputs are NULL, or a count
**                            overflows size_t;
**   MEDAUG_UNSUPPORTED       the model is not a segmenter.
**
** Thread-safety: any thread (reads only the session's model).
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_segment_output_counts(const medaug_session_t *session, size_t n,
                                                             size_t *probabilities_count, size_t *labels_count);

/*
** CAPI: Segment Images
** METHOD: medaug_session_t
**
** Runs a segmenter on n images and writes the class probabilities
** (softmax output; logits if the model's output_activation is
** "identity"), the label map of the most probable class per pixel as
** stored label values (ties: the lower class index), or both.
**
** Parameters:
**   [in]  session              a live session on a segmenter; not NULL.
**   [in]  images               float [n][channels][height][width],
**                              intensities in [-1, 1], all finite; not
**                              NULL, 4-byte aligned. Only read during the call.
**   [in]  n                    number of images, 1...1024.
**   [in]  channels             must equal the model's image_channels.
**   [in]  height, width        must equal the model's image_size.
**   [in]  options              normalisation, or NULL for the model file's.
**   [out] probabilities        caller-allocated float
**                              [n][class_count][height][width], or NULL
**                              to skip. 4-byte aligned.
**   [in]  probabilities_count  capacity of probabilities in floats
**                              (ignored when probabilities is NULL).
**   [out] labels               caller-allocated int32 [n][height][width]
**                              stored label values, or NULL to skip.
**                              4-byte aligned.
**   [in]  labels_count         capacity of labels in int32 values
**                              (ignored when labels is NULL).
**                              At least one of probabilities and labels
**                              must be non-NULL. Contents unspecified on
**                              failure.
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  a pointer is NULL (images, session, or both
**                            outputs) or misaligned, n is 0 or above
**                            1024, an input value is NaN or infinite (the
**                            message gives its index), options are
**                            invalid, the session is not live or in use by
**                            another thread, or the call needs more memory
**                            than the session's memory limit;
**   MEDAUG_SHAPE_MISMATCH    channels, height or width do not fit the model;
**   MEDAUG_BUFFER_TOO_SMALL  a given output's capacity is below its count;
**                            nothing is computed or written;
**   MEDAUG_UNSUPPORTED       the model is not a segmenter, or options set
**                            fields this version does not know;
**   MEDAUG_ERROR             an internal error.
**
** Thread-safety: one thread at a time per session; different sessions
** (also on one shared model) run concurrently.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_segment(medaug_session_t *session, const float *images, size_t n,
                                               size_t channels, size_t height, size_t width,
                                               const medaug_segment_options_t *options,
                                               float *probabilities, size_t probabilities_count,
                                               int32_t *labels, size_t labels_count);

/*
** CAPI: Progress Callbacks
**
** Long calls (medaug_expand, medaug_expand_dataset) report progress through
** a function of this type, called on the calling thread after each unit of
** work with done = 1...total. Return 0 to continue; any other value stops
** the call, which then returns MEDAUG_CANCELLED without writing its
** outputs (no files are left behind). user_data is passed through
** untouched. The callback may call other medaug functions (the calls that
** take it run their own internal sessions).
**
** Since: 0.1.0 (ABI 1)
*/
typedef int (*medaug_progress_fn)(void *user_data, size_t done, size_t total);

/*
** CAPI: Augment Options
**
** For medaug_augment(). Initialise with MEDAUG_AUGMENT_OPTIONS_INIT.
**
**   spacing_row, spacing_column  pixel size in mm, so that the pipeline's
**                millimetre parameters (elastic displacement, blur) mean
**                millimetres; 0 = 1 mm.
**   threads      threads for resampling and per-pixel passes; 0 = 1.
**                Results are bitwise the same on any thread count.
**
** Since: 0.1.0 (ABI 1)
*/
typedef struct medaug_augment_options {
    size_t struct_size;    /* [in] sizeof(medaug_augment_options_t) */
    double spacing_row;    /* mm; 0 = 1 */
    double spacing_column; /* mm; 0 = 1 */
    int32_t threads;       /* 0 = 1 */
    int32_t reserved;      /* must be 0 */
} medaug_augment_options_t;

#define MEDAUG_AUGMENT_OPTIONS_INIT { sizeof(medaug_augment_options_t), 0, 0, 0, 0 }

/*
** CAPI: Classic Augmentation
**
** Applies a classic augmentation pipeline to one image and its mask: the
** geometric operations (rotate, shift, flip, zoom, elastic) move image and
** mask together (bilinear for the image, nearest for the mask), then the
** intensity operations (brightness, contrast, gamma, noise, blur, bias
** field) change the image. The pipeline is JSON as docs/augmentation.md
** describes, e.g. {"operations": [{"type": "rotate", "probability": 0.5,
** "degrees": [-15, 15]}]}; NULL selects the paper's set (rotate, shift, both
** flips, brightness, zoom, each at probability 0.5). The result is a
** function of the inputs, the pipeline and the seed.
**
** Parameters:
**   [in]  image          float [channels][height][width], finite values
**                        (any scale; the border value of the pipeline is in
**                        the same scale); not NULL, 4-byte aligned.
**   [in]  mask           int32 [height][width] labels; not NULL, aligned.
**   [in]  channels, height, width  sizes, each >= 1, at most 2^28 values
**                        in all.
**   [in]  pipeline_json  UTF-8 JSON, or NULL for the paper's pipeline.
**   [in]  seed           selects the transform.
**   [in]  options        spacing and threads, or NULL for the defaults.
**   [out] out_image      caller-allocated float [channels][height][width];
**                        may be the same buffer as image.
**   [out] out_mask       caller-allocated int32 [height][width]; may be the
**                        same buffer as mask. Outputs are unspecified on
**                        failure.
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  a pointer is NULL or misaligned, a size is 0
**                            or too large, an image value is NaN or
**                            infinite (the message gives its index), the
**                            pipeline JSON is malformed or out of range
**                            (the message names the operation and key), or
**                            options are invalid;
**   MEDAUG_UNSUPPORTED       options set fields this version does not know.
**
** Thread-safety: any thread; calls are independent.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_augment(const float *image, const int32_t *mask, size_t channels,
                                               size_t height, size_t width, const char *pipeline_json,
                                               uint64_t seed, const medaug_augment_options_t *options,
                                               float *out_image, int32_t *out_mask);

/*
** CAPI: Expansion Origins
**
** What medaug_expand() writes to out_origins for each pair.
**
** Since: 0.1.0 (ABI 1)
*/
#define MEDAUG_ORIGIN_REAL             0 /* one of the input pairs, unchanged */
#define MEDAUG_ORIGIN_CLASSIC          1 /* a real pair, classically augmented */
#define MEDAUG_ORIGIN_GENERATED        2 /* a real mask, geometrically augmented, rendered by the generator */
#define MEDAUG_ORIGIN_GENERATED_EDITED 3 /* as _GENERATED, after a label-space edit (region moved or copied) */

/*
** CAPI: Expand Options
**
** For medaug_expand() and medaug_expand_dataset(). Required: a pointer to
** a struct with target set (there is no default target). Initialise with
** MEDAUG_EXPAND_OPTIONS_INIT, then set target and what you need.
**
**   target              pairs in the result, the real ones included
**                       (the paper: 300 from 30); n...1000000.
**   generated_share     share of the new pairs rendered by the generator,
**                       in (0, 1]; 0 = the default, 0.5. The rest are
**                       classically augmented real pairs.
**   edit_share          share of the generator's label maps that get a
**                       label-space edit first, in (0, 1]; 0 = 0.5.
**   edit_values,        the label values of the regions edits move, resize,
**   edit_value_count    rotate or copy (e.g. lesions 1, 2, 4) to other
**                       places inside the anatomy (the pixels of the other
**                       non-background labels); count 0 = no label edits.
**                       A map without such a region receives a copy of
**                       another input map's region.
**   pipeline_json       classic pipeline for the augmented pairs; NULL =
**                       the paper's (see medaug_augment).
**   mask_pipeline_json  geometric pipeline for the generator's label maps
**                       (geometric operations only); NULL = the paper's
**                       geometry plus a mild elastic deformation.
**   seed                every choice; the same seed, inputs and thread
**                       count give bitwise the same result.
**   normalization,      the generator's modes (MEDAUG_NORMALIZATION_*,
**   dropout             MEDAUG_DROPOUT_*); 0 = the model file's.
**   threads             0 = 1.
**   classic_only        1: no generator pairs (generator may be NULL).
**   overwrite           medaug_expand_dataset only: 1 replaces an existing
**                       output folder (swapped in only when complete).
**   progress,           called after each new pair (see
**   progress_user_data  medaug_progress_fn); NULL for none.
**
** Since: 0.1.0 (ABI 1)
*/
typedef struct medaug_expand_options {
    size_t struct_size;             /* [in] sizeof(medaug_expand_options_t) */
    uint64_t target;                /* required, >= n */
    double generated_share;         /* 0 = 0.5 */
    double edit_share;              /* 0 = 0.5 */
    const int32_t *edit_values;     /* label values edits move; may be NULL if count is 0 */
    size_t edit_value_count;        /* 0 = no label edits */
    const char *pipeline_json;      /* NULL = the paper's classic pipeline */
    const char *mask_pipeline_json; /* NULL = default geometric + elastic */
    uint64_t seed;
    int32_t normalization;          /* MEDAUG_NORMALIZATION_* */
    int32_t dropout;                /* MEDAUG_DROPOUT_* */
    int32_t threads;                /* 0 = 1 */
    int32_t classic_only;           /* 0 or 1 */
    int32_t overwrite;              /* 0 or 1 (medaug_expand_dataset) */
    int32_t reserved;               /* must be 0 */
    medaug_progress_fn progress;    /* NULL = none */
    void *progress_user_data;
} medaug_expand_options_t;

#define MEDAUG_EXPAND_OPTIONS_INIT { sizeof(medaug_expand_options_t), 0, 0, 0, NULL, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, NULL, NULL }

/*
** CAPI: Expand Pairs in Memory
**
** Grows n real (image, mask) pairs into options->target pairs: the n real
** pairs first, unchanged, then new pairs in a fixed order: new label maps
** (real masks, label-space edited if asked, geometrically augmented)
** rendered by the generator, and classically augmented real pairs. Each
** new pair depends only on the inputs, the options and its position.
**
** Parameters:
**   [in]  generator         a generator model, shared read-only; may be
**                           NULL only with options->classic_only = 1.
**   [in]  images            float [n][channels][height][width] in the
**                           generator's [-1, 1], finite; not NULL, aligned.
**   [in]  masks             int32 [n][height][width] stored label values,
**                           each one of the generator's; not NULL, aligned.
**   [in]  n                 real pairs, 1...options->target.
**   [in]  channels, height, width  must equal the generator's image
**                           channels and image size.
**   [in]  options           required; target set (see above).
**   [out] out_images        caller-allocated float
**                           [target][channels][height][width].
**   [in]  out_images_count  its capacity in floats.
**   [out] out_masks         caller-allocated int32 [target][height][width].
**   [in]  out_masks_count   its capacity in int32 values.
**   [out] out_origins       caller-allocated int32 [target]
**                           (MEDAUG_ORIGIN_*), or NULL to skip.
**   [in]  out_origins_count its capacity (ignored when NULL).
**                           Outputs are unspecified on failure.
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  a pointer is NULL or misaligned, a size is 0,
**                            n exceeds target, a value is NaN or infinite,
**                            a mask holds a label value the generator does
**                            not know (the message names the mask and the
**                            value), an edit value is not one of the
**                            generator's, options are missing or invalid,
**                            or generator is not a live model handle;
**   MEDAUG_BUFFER_TOO_SMALL  an output capacity is below what target needs;
**                            nothing is computed;
**   MEDAUG_CANCELLED         the progress callback returned non-zero;
**   MEDAUG_UNSUPPORTED       options set fields this version does not know;
**   MEDAUG_ERROR             the generator failed (the message says why).
**
** Thread-safety: any thread; the generator model may be shared (each call
** runs its own session).
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_expand(const medaug_model_t *generator, const float *images,
                                              const int32_t *masks, size_t n, size_t channels, size_t height,
                                              size_t width, const medaug_expand_options_t *options,
                                              float *out_images, size_t out_images_count,
                                              int32_t *out_masks, size_t out_masks_count,
                                              int32_t *out_origins, size_t out_origins_count);

/*
** CAPI: Expand a Dataset Folder
**
** As medaug_expand(), from the real train items of the dataset folder
** input (manifest.json, images/, masks/: docs/design.md section 3.3) to a new
** dataset folder output: its real train pairs, the new train pairs (each
** flagged "synthetic": true, with "origin", "from", "edit" and "seed" in
** its "source"), and the input's val and test items copied unchanged.
** The output folder appears complete or not at all: it is written beside
** output under a temporary name and renamed at the end; on any failure or
** cancellation nothing is left.
**
** Parameters:
**   [in]  generator  a generator model, or NULL with options->classic_only.
**   [in]  input      UTF-8 path of the input dataset folder; not NULL.
**   [in]  output     UTF-8 path of the folder to create; its parent must
**                    exist; an existing folder is refused unless
**                    options->overwrite is 1.
**   [in]  options    required (target).
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  as medaug_expand, or the input folder is not
**                            a dataset folder (the message names the file);
**   MEDAUG_CANCELLED         the progress callback returned non-zero;
**   MEDAUG_UNSUPPORTED       options set fields this version does not know;
**   MEDAUG_ERROR             reading, rendering or writing failed (the
**                            message names the file), e.g. the output
**                            exists or the disk is full.
**
** Thread-safety: any thread; calls writing different folders are
** independent.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_expand_dataset(const medaug_model_t *generator, const char *input,
                                                      const char *output, const medaug_expand_options_t *options);

/*
** CAPI: Plan a Dataset Expansion
**
** The staged form of medaug_expand_dataset(), for running one expansion
** on many processes or machines (Python's medaug.distributed drives it
** with Dask or Ray): this function returns the plan, every worker writes
** ranges of its steps with medaug_expand_dataset_steps() into one staging
** folder, and medaug_expand_dataset_finish() turns the folder into the
** output. Each new pair depends only on the inputs, the options and its
** step index, so on the same CPU tier and options->threads the output is
** byte-identical to medaug_expand_dataset()'s, however the ranges are
** spread, ordered or retried.
**
** The plan is a JSON object: {"real_pairs": n, "target": t, "steps":
** [{"index": i, "recipe": "generated" or "classic", "source": s (index
** of the real train pair it starts from), "edit": true or false,
** "seed": "..." (a decimal string: seeds use all 64 bits)}, ...]}, one
** step per new pair (t - n), keys sorted, UTF-8. Only the input's
** manifest is read.
**
** Parameters:
**   [in]  input    UTF-8 path of the input dataset folder; not NULL.
**   [in]  options  required (target), as for medaug_expand_dataset();
**                  the progress and overwrite fields are not used.
**   [out] json     not NULL; receives a NUL-terminated string allocated by
**                  the library, or NULL on failure. Free it with
**                  medaug_string_free().
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  a pointer is NULL, options are missing or
**                            invalid, or input is not a dataset folder
**                            with real train items (the message says which);
**   MEDAUG_UNSUPPORTED       options set fields this version does not know;
**   MEDAUG_OUT_OF_MEMORY     the string could not be allocated.
**
** Thread-safety: any thread.
** Since: 0.3.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_expand_dataset_plan(const char *input, const medaug_expand_options_t *options,
                                                           char **json);

/*
** CAPI: Write Steps of a Dataset Expansion
**
** Makes the new pairs of plan steps first ... first + count - 1 (see
** medaug_expand_dataset_plan) and writes their image and mask files into
** staging, then records the range there (in staging/.steps/). Ranges may
** run in any order, in any process, and again after a crash: every file
** is written under a temporary name and renamed, the record comes last,
** and a rerun writes the same bytes. Every call of one run must get the
** same input, options (but progress) and generator file.
**
** Parameters:
**   [in]  generator  a generator model, or NULL with options->classic_only.
**   [in]  input      UTF-8 path of the input dataset folder; not NULL.
**   [in]  staging    UTF-8 path of an existing folder shared by every
**                    range of the run, on the output's file system
**                    (medaug_expand_dataset_finish renames it); not NULL.
**   [in]  options    required; the same for every call of the run.
**                    progress is called after each pair with (done, count).
**   [in]  first      the first step, 0 ... (steps in the plan) - 1.
**   [in]  count      steps to make, >= 1; first + count must not exceed
**                    the plan's steps.
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  as medaug_expand_dataset, the range is empty
**                            or beyond the plan, or staging does not exist;
**   MEDAUG_CANCELLED         the progress callback returned non-zero (the
**                            range stays unrecorded);
**   MEDAUG_UNSUPPORTED       options set fields this version does not know;
**   MEDAUG_ERROR             reading, rendering or writing failed (the
**                            message names the file).
**
** Thread-safety: any thread; calls writing different ranges into one
** staging folder may run at the same time; the generator may be shared.
** Since: 0.3.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_expand_dataset_steps(const medaug_model_t *generator, const char *input,
                                                            const char *staging, const medaug_expand_options_t *options,
                                                            uint64_t first, uint64_t count);

/*
** CAPI: Finish a Dataset Expansion
**
** Completes a staged expansion: checks that the ranges recorded in staging
** cover every step of the plan exactly once, copies the input's real items
** in (train, val and test, unchanged), removes files that crashed writers
** left behind, writes the manifest (the real items in the input's order,
** then the new ones in plan order) and renames staging to output. On
** failure output is untouched and staging keeps its recorded ranges, so the
** missing ones can be written and this called again; the caller removes
** staging when it gives up.
**
** Parameters:
**   [in]  input    UTF-8 path of the input dataset folder; not NULL.
**   [in]  staging  UTF-8 path of the staging folder the steps were
**                  written to; not NULL.
**   [in]  output   UTF-8 path of the folder to create; its parent must
**                  exist; an existing folder is refused unless
**                  options->overwrite is 1 (then replaced whole).
**   [in]  options  required; the run's options (progress is not used).
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  a pointer is NULL, options are invalid, steps
**                            are missing or recorded twice (the message
**                            names them), or output exists;
**   MEDAUG_UNSUPPORTED       options set fields this version does not know;
**   MEDAUG_ERROR             copying or renaming failed (for example
**                            staging is on another file system).
**
** Thread-safety: any thread; once per run, after every range is written.
** Since: 0.3.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_expand_dataset_finish(const char *input, const char *staging, const char *output,
                                                             const medaug_expand_options_t *options);

/*
** CAPI: Metrics Options
**
** For medaug_metrics(). Initialise with MEDAUG_METRICS_OPTIONS_INIT.
**
**   smoothing             Dice smoothing S in (2TP + S)/(2TP + FP + FN + S),
**                         >= 0; 0 = plain Dice. IoU is never smoothed.
**   hausdorff_percentile  percentile of the surface distances, in (0, 100];
**                         0 = 95 (HD95).
**   spacing_row,          pixel size for the surface distances; 0 = 1
**   spacing_column        (distances in pixels).
**   regions_json          merged regions scored as well, e.g. BraTS
**                         [{"name": "whole tumour", "classes": [1, 2, 3]}]
**                         (class indices); NULL = none.
**   count_absent_as_one   0: a class absent from both truth and prediction
**                         is left out of the means (MONAI's convention);
**                         1: counted as 1.
**   skip_hausdorff        1: no surface distances (faster).
**
** Since: 0.1.0 (ABI 1)
*/
typedef struct medaug_metrics_options {
    size_t struct_size;          /* [in] sizeof(medaug_metrics_options_t) */
    double smoothing;            /* >= 0 */
    double hausdorff_percentile; /* 0 = 95 */
    double spacing_row;          /* 0 = 1 */
    double spacing_column;       /* 0 = 1 */
    const char *regions_json;    /* NULL = no regions */
    int32_t count_absent_as_one; /* 0 or 1 */
    int32_t skip_hausdorff;      /* 0 or 1 */
} medaug_metrics_options_t;

#define MEDAUG_METRICS_OPTIONS_INIT { sizeof(medaug_metrics_options_t), 0, 0, 0, 0, NULL, 0, 0 }

/*
** CAPI: Segmentation Metrics
**
** Scores n predicted label maps against the truth: accuracy, per-class and
** mean IoU and Dice (over all classes and over the foreground classes
** 1...K-1), percentile Hausdorff distances, and the merged regions of
** options->regions_json. Returns a JSON object, library-allocated:
**   {"micro": REPORT, "macro": REPORT, "per_image": [REPORT, ...]}
** where micro pools every pixel, macro averages the per-image scores, and
** REPORT has the keys "accuracy", "per_class_iou", "per_class_dice",
** "mean_iou", "mean_dice", "mean_iou_foreground", "mean_dice_foreground",
** "per_class_hausdorff", "regions", ... (every key always present; null
** where a value is undefined, e.g. the Dice of a class absent from both
** maps). docs: Sources/MedaugMetrics/SegmentationScores+JSON.swift.
**
** Parameters:
**   [in]  prediction, truth  int32 [n][height][width] class indices
**                      0...class_count-1 (not stored label values); not
**                      NULL, 4-byte aligned.
**   [in]  n, height, width  sizes, each >= 1, n*height*width <= 2^28.
**   [in]  class_count  number of classes K, 1...1024.
**   [in]  options      or NULL for the defaults.
**   [out] json         not NULL; receives a NUL-terminated UTF-8 string
**                      the caller frees with medaug_string_free(); NULL on
**                      failure.
**
** Returns:
**   MEDAUG_OK                on success;
**   MEDAUG_INVALID_ARGUMENT  a pointer is NULL or misaligned, a size is 0
**                            or too large, a class index is outside
**                            0...K-1 (the message gives it), or options are
**                            invalid (negative smoothing, percentile above
**                            100, malformed regions JSON);
**   MEDAUG_OUT_OF_MEMORY     the JSON could not be allocated;
**   MEDAUG_UNSUPPORTED       options set fields this version does not know.
**
** Thread-safety: any thread; calls are independent.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_metrics(const int32_t *prediction, const int32_t *truth, size_t n,
                                               size_t height, size_t width, size_t class_count,
                                               const medaug_metrics_options_t *options, char **json);

/*
** CAPI: Sample Types
**
** The sample type medaug_image_write() stores.
**
** Since: 0.1.0 (ABI 1)
*/
#define MEDAUG_SAMPLE_DEFAULT 0 /* float32 */
#define MEDAUG_SAMPLE_UINT8   1
#define MEDAUG_SAMPLE_UINT16  2
#define MEDAUG_SAMPLE_FLOAT32 3
/* Stored types medaug_image_read_samples() also reports (since 0.3.0);
** medaug_image_write() writes only the four above. */
#define MEDAUG_SAMPLE_INT8    4
#define MEDAUG_SAMPLE_INT16   5
#define MEDAUG_SAMPLE_UINT32  6
#define MEDAUG_SAMPLE_INT32   7
#define MEDAUG_SAMPLE_FLOAT64 8
#define MEDAUG_SAMPLE_BOOL    9 /* bilevel: one byte per sample, 0 or 1 */

/*
** CAPI: Library-Allocated Buffers
**
** Frees a float buffer returned by medaug_image_read() or
** medaug_volume_read(). Never pass it memory from elsewhere (strings go
** to medaug_string_free()).
**
** Parameters:
**   [in]  buffer  a buffer from medaug_image_read() or medaug_volume_read(),
**                 or NULL (a harmless no-op).
**
** Returns: nothing; cannot fail.
** Thread-safety: any thread.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API void medaug_buffer_free(void *buffer);

/*
** CAPI: TIFF Page Count
**
** The number of pages (directories) of a TIFF file. In medaug's dataset
** folders an image has one page per channel (modality).
**
** Parameters:
**   [in]  path   UTF-8 path; not NULL.
**   [out] pages  not NULL; receives the count (untouched on failure).
**
** Returns:
**   MEDAUG_OK, or MEDAUG_INVALID_ARGUMENT (NULL argument, a page over
**   MEDAUG_LIMIT_IMAGE_PIXELS, default 8192 x 8192), MEDAUG_IO_ERROR (cannot
**   open), MEDAUG_FORMAT_ERROR (not a valid TIFF file: the message says
**   what libtiff reported), MEDAUG_UNSUPPORTED (a TIFF feature medaug does
**   not read, e.g. palette or tiled JPEG).
**
** Thread-safety: any thread.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_image_page_count(const char *path, size_t *pages);

/*
** CAPI: Read a TIFF Page
**
** Reads one page of a TIFF file (uint8/16/32, int8/16/32, float32/64,
** bilevel; strips or tiles; every compression the system's libtiff
** decodes: on Debian uncompressed, LZW, Deflate, PackBits, JPEG, CCITT
** RLE/G3/G4, LZMA, ZSTD, WebP, JBIG, LERC, ...) into a library-allocated
** float buffer [channels][height][width], channel-planar whatever the
** file's layout, with the stored values exactly (no scaling, no
** photometric inversion). YCbCr pages are read when JPEG-compressed, as
** RGB (libtiff's JPEGCOLORMODE_RGB); other YCbCr pages, and compressions
** libtiff lacks, give MEDAUG_UNSUPPORTED with the list it decodes.
**
** Parameters:
**   [in]  path     UTF-8 path; not NULL.
**   [in]  page     0-based page index (< medaug_image_page_count).
**   [out] pixels   not NULL; receives the buffer, which the caller frees
**                  with medaug_buffer_free(); NULL on failure.
**   [out] channels, height, width  not NULL; receive the sizes.
**
** Returns: as medaug_image_page_count; MEDAUG_INVALID_ARGUMENT also for a
** page index out of range; MEDAUG_OUT_OF_MEMORY if the buffer cannot be
** allocated.
**
** Thread-safety: any thread.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_image_read(const char *path, size_t page, float **pixels,
                                                  size_t *channels, size_t *height, size_t *width);

/*
** CAPI: Read a TIFF Page in Its Stored Sample Type
**
** As medaug_image_read(), but the samples keep the page's stored type
** instead of becoming float: a uint16 mask stays uint16, a uint32 label
** map keeps values above 2^24 exact. The buffer is [channels][height][width],
** channel-planar, tightly packed, native byte order.
**
** Parameters:
**   [in]  path         UTF-8 path; not NULL.
**   [in]  page         0-based page index.
**   [out] samples      not NULL; receives the buffer (free it with
**                      medaug_buffer_free()); NULL on failure.
**   [out] sample_type  not NULL; receives the stored type: one of
**                      MEDAUG_SAMPLE_UINT8, _UINT16, _FLOAT32, _INT8,
**                      _INT16, _UINT32, _INT32, _FLOAT64, _BOOL (one byte
**                      per sample, 0 or 1).
**   [out] channels, height, width  not NULL; receive the sizes.
**
** Returns: as medaug_image_read().
** Thread-safety: any thread.
** Since: 0.3.0 (ABI 1, symbol version MEDAUG_1.2)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_image_read_samples(const char *path, size_t page, void **samples,
                                                          int *sample_type, size_t *channels, size_t *height,
                                                          size_t *width);

/*
** CAPI: Write a TIFF File
**
** Writes pages planes [pages][height][width] as a multi-page TIFF (one
** page per plane, Deflate-compressed), atomically: to a temporary file
** beside path, renamed over it at the end, so readers never see a partial
** file and a failure leaves no file.
**
** Parameters:
**   [in]  path         UTF-8 path; not NULL; its folder must exist.
**   [in]  pixels       float [pages][height][width], finite; not NULL.
**   [in]  pages, height, width  sizes, each >= 1, at most 2^28 values.
**   [in]  sample_type  MEDAUG_SAMPLE_*: integer types store the rounded
**                      values, which must lie in the type's range
**                      (0...255, 0...65535), else nothing is written.
**
** Returns: MEDAUG_OK; MEDAUG_INVALID_ARGUMENT (NULL, sizes, a non-finite
** value or one outside the sample type's range: the message gives its
** index, an unknown sample type); MEDAUG_IO_ERROR (cannot write).
**
** Thread-safety: any thread; concurrent writes to one path leave one
** complete file.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_image_write(const char *path, const float *pixels, size_t pages,
                                                   size_t height, size_t width, int32_t sample_type);

/*
** CAPI: Read a Volume (NIfTI or DICOM)
**
** Reads a NIfTI-1 file (.nii or .nii.gz, 3-D or 4-D), a DICOM file
** (single- or multi-frame) or a folder of DICOM slices holding one series
** into a library-allocated float buffer with the scaling applied
** (scl_slope/scl_inter; RescaleSlope/RescaleIntercept per DICOM file), in
** storage order: x fastest, then y, z, t (voxel (i, j, k, t) at
** i + X*(j + Y*(k + Z*t)); nibabel's get_fdata() in Fortran order). For
** DICOM, x is the column, y the row and z the slice, slices ordered by
** ImagePositionPatient along the slice normal (see
** medaug_volume_read_series() for folders with several series and for the
** affine). Slices are cut from it by the caller, or by `medaug prepare`.
**
** DICOM is decoded by GDCM in a short-lived child process (fork()), so a
** file that makes GDCM abort costs an error, not the caller's process;
** only geometry and the modality are read from DICOM headers.
**
** Parameters:
**   [in]  path        UTF-8 path; not NULL.
**   [out] voxels      not NULL; receives the buffer (free with
**                     medaug_buffer_free()); NULL on failure.
**   [out] dims        size_t [4], not NULL: X, Y, Z, T (T = 1 for 3-D).
**   [out] voxel_size  double [3] in mm (pixdim 1...3; DICOM: column and
**                     row spacing, slice step), or NULL to skip.
**
** Returns: MEDAUG_OK; MEDAUG_INVALID_ARGUMENT (NULL argument, more voxels
** than MEDAUG_LIMIT_VOLUME_VOXELS (default 2^28), a DICOM
** folder with several series); MEDAUG_IO_ERROR (cannot open or
** decompress); MEDAUG_FORMAT_ERROR (malformed header or framing, a
** truncated file, slices that disagree in size or orientation, a missing
** slice or uneven spacing: the message names the file or field);
** MEDAUG_UNSUPPORTED (a datatype medaug does not read, e.g. complex or
** colour DICOM; a deflated DICOM data set); MEDAUG_OUT_OF_MEMORY.
**
** Thread-safety: any thread.
** Since: 0.1.0 (ABI 1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_volume_read(const char *path, float **voxels, size_t *dims,
                                                   double *voxel_size);

/*
** CAPI: Read One Series of a Volume, with Its Affine
**
** As medaug_volume_read(), choosing the series of a DICOM folder that
** holds several, and returning the voxel-to-world affine.
**
** Parameters:
**   [in]  path        UTF-8 path; not NULL.
**   [in]  series      1-based series number in medaug_volume_series_json()
**                     order; 0 requires the path to hold exactly one.
**                     NIfTI files have one series.
**   [out] voxels      not NULL; as medaug_volume_read().
**   [out] dims        size_t [4], not NULL; as medaug_volume_read().
**   [out] voxel_size  double [3] or NULL; as medaug_volume_read().
**   [out] affine      double [16] or NULL: voxel (i, j, k) to world
**                     millimetres in RAS+ (NIfTI's convention; DICOM's LPS
**                     is converted), row-major with last row 0 0 0 1.
**
** Returns: as medaug_volume_read(); MEDAUG_INVALID_ARGUMENT also for a
** series number the path does not hold.
**
** Thread-safety: any thread.
** Since: 0.2.0 (ABI 1, symbol version MEDAUG_1.1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_volume_read_series(const char *path, size_t series, float **voxels,
                                                          size_t *dims, double *voxel_size, double *affine);

/*
** CAPI: List the Series of a Volume Path
**
** Describes the series under a path without decoding pixels: a JSON array
** of {"series": n, "modality": "MR", "files": f, "columns": c, "rows": r,
** "slices": s} in the numbering medaug_volume_read_series() takes. A NIfTI
** file is one entry with an empty modality. No identifier is reported
** (no UIDs, no patient or study fields).
**
** Parameters:
**   [in]  path  UTF-8 path of a NIfTI file, a DICOM file or a folder; not NULL.
**   [out] json  not NULL; receives a NUL-terminated UTF-8 string the caller
**               frees with medaug_string_free(); NULL on failure.
**
** Returns: MEDAUG_OK; MEDAUG_INVALID_ARGUMENT (NULL argument);
** MEDAUG_IO_ERROR; MEDAUG_FORMAT_ERROR (no DICOM image in the folder, a
** malformed file); MEDAUG_UNSUPPORTED; MEDAUG_OUT_OF_MEMORY.
**
** Thread-safety: any thread.
** Since: 0.2.0 (ABI 1, symbol version MEDAUG_1.1)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_volume_series_json(const char *path, char **json);

/*
** CAPI: Segment a Whole Volume
**
** Segments a 3-D volume (one per model input channel, on one grid) with a
** segmenter the way its training slices were made (the model's
** "preparation" record, docs/weights-format.md; without one: axial, no
** crop, label-free 0.5/99.5 percentiles): slices cut in the model's plane
** in canonical RAS+ orientation, scaled from the percentiles of the
** volume's label-free foreground, cropped to that foreground's box plus
** margin (or not), padded to a square and resized to the model's image
** size, segmented, and the class probabilities brought back (bilinear) to
** every voxel of the source grid; outside the crop is the first class.
** Labels are the most probable class per voxel, as stored label values.
**
** Parameters:
**   [in]  model          a segmenter; not NULL.
**   [in]  voxels         float [channels][Z][Y][X] (x fastest, as
**                        medaug_volume_read() returns), finite; not NULL.
**   [in]  channels       the model's input channels.
**   [in]  dims           size_t [3]: X, Y, Z, each >= 1; the voxel count
**                        at most MEDAUG_LIMIT_VOLUME_VOXELS; not NULL.
**   [in]  affine         double [16], row-major voxel-to-world (RAS mm)
**                        matrix, as medaug_volume_read_series() returns;
**                        non-singular; not NULL.
**   [in]  plane          "axial", "coronal" or "sagittal" to override the
**                        model's plane; NULL keeps it.
**   [in]  threads        1...256.
**   [out] labels         int32 [Z][Y][X] (same order as voxels): stored
**                        label values; not NULL.
**   [out] probabilities  float [classes][Z][Y][X], or NULL to skip.
**   [in]  progress       called after each batch of slices with (done,
**                        total) slices; non-zero stops the call with
**                        MEDAUG_CANCELLED; NULL for none.
**   [in]  user_data      passed to progress.
**
** Returns: MEDAUG_OK; MEDAUG_INVALID_ARGUMENT (NULL argument, bad size,
** channel count or plane, a singular affine, a non-finite voxel);
** MEDAUG_UNSUPPORTED (not a segmenter); MEDAUG_CANCELLED. The output
** buffers are written only on success.
**
** Thread-safety: any thread; the call makes its own session.
** Since: 0.3.0 (ABI 1, symbol version MEDAUG_1.2)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_segment_volume(const medaug_model_t *model, const float *voxels,
                                                      size_t channels, const size_t *dims, const double *affine,
                                                      const char *plane, size_t threads, int32_t *labels,
                                                      float *probabilities, medaug_progress_fn progress,
                                                      void *user_data);

/*
** CAPI: Read a Label Volume onto an Image's Grid
**
** Reads the label volume `labels` on the grid of the image volume `image`
** and returns its stored label values in the image's storage order (as
** medaug_volume_read_series() returns the image's voxels). `labels` is:
**   - a NIfTI file or DICOM image volume on the same grid (same size and
**     voxel-to-world affine; one stored in another axis order of the same
**     grid is reordered to RAS+, which matches an image stored RAS+);
**   - a DICOM Segmentation (SEG) file: each voxel gets the Segment Number
**     of the segment covering it (0: none; where segments overlap the
**     higher number wins). BINARY and FRACTIONAL segmentations (a pixel
**     belongs to its segment where value >= MaximumFractionalValue / 2),
**     sparse frames; each frame is placed by its Plane Position (or, without
**     one, at the position of the source image whose SOP Instance UID it
**     names, among the files of a DICOM `image`) and must lie on the
**     image's grid (rows and columns along its axes at its
**     spacing, on one of its slices). Native pixel data, or FRACTIONAL
**     frames compressed with any codec GDCM decodes (RLE, JPEG-LS,
**     JPEG 2000), decoded in the forked decoder process.
**   - a DICOM RT Structure Set (RTSTRUCT) file: each ROI's CLOSED_PLANAR
**     contours are filled on the image slice they lie in (every point
**     within half a slice spacing), by the even-odd rule over the ROI's
**     contours on that slice (inner contours cut holes), voxel centres
**     inside. ROIs get the values of roi_names/roi_values, drawn in that
**     order (later ones win where they overlap: list body before brain
**     before tumour); with roi_count 0 every ROI gets its ROI Number.
** GDCM parses DICOM in its forked decoder process (see
** medaug_volume_read()); decoding segments is medaug's own.
**
** Parameters:
**   [in]  labels  UTF-8 path of the label volume or SEG file; not NULL.
**   [in]  image   UTF-8 path of the image volume (NIfTI file, DICOM file
**                 or folder); not NULL.
**   [in]  series  the image's series as in medaug_volume_read_series()
**                 (0: the path holds exactly one).
**   [in]  roi_names   roi_count UTF-8 ROI names (RT Structure Sets only),
**                     or NULL when roi_count is 0.
**   [in]  roi_values  roi_count label values, or NULL when roi_count is 0.
**   [in]  roi_count   0, or the number of ROIs to draw (at most 65536).
**   [out] values  not NULL; receives X*Y*Z int32 label values (free with
**                 medaug_buffer_free()); NULL on failure.
**   [out] dims    size_t [3], not NULL: X, Y, Z of the image.
**
** Returns: MEDAUG_OK; MEDAUG_INVALID_ARGUMENT (NULL argument, a label
** volume, SEG frame or contour off the image's grid: the message says
** what differs; an ROI name the file lacks; ROIs for a file that is not
** an RT Structure Set); MEDAUG_IO_ERROR; MEDAUG_FORMAT_ERROR (a malformed file or SEG:
** the message names the attribute); MEDAUG_UNSUPPORTED (compressed SEG
** pixel data, a SEG frame without a Plane Position); MEDAUG_OUT_OF_MEMORY.
**
** Thread-safety: any thread.
** Since: 0.3.0 (ABI 1, symbol version MEDAUG_1.2)
*/
MEDAUG_API MEDAUG_NODISCARD int medaug_labels_read(const char *labels, const char *image, size_t series,
                                                   const char *const *roi_names, const int32_t *roi_values,
                                                   size_t roi_count, int32_t **values, size_t *dims);

/*
** CAPI: Limits That Protect the Host
**
** Process-wide caps that the reading and inference functions check when a
** call starts, refusing input over a cap with MEDAUG_INVALID_ARGUMENT and a
** message naming the limit, before any large allocation:
**
**   MEDAUG_LIMIT_IMAGE_PIXELS   pixels of one TIFF page (medaug_image_read,
**                               medaug_image_page_count; all pages of one
**                               read together at most 32 times this many
**                               bytes). Default 8192*8192; at most 2^31.
**   MEDAUG_LIMIT_VOLUME_VOXELS  voxels of a volume (NIfTI x*y*z*t; DICOM all
**                               images under the path) in medaug_volume_read,
**                               medaug_volume_read_series,
**                               medaug_volume_series_json. Default 2^28
**                               (1 GiB of float); at most 2^31.
**   MEDAUG_LIMIT_MODEL_BYTES    size of a model file or buffer
**                               (medaug_model_load_file and
**                               medaug_model_load_file_mapped check the file
**                               size before reading or mapping it;
**                               medaug_model_load_memory before copying).
**                               Default 64 GiB; at most 2^40.
**   MEDAUG_LIMIT_BATCH          n of one medaug_generate or medaug_segment
**                               call. Default 1024, which is also its
**                               maximum (the engine's bound).
**
** Memory per session is capped separately (medaug_session_options_t's
** memory_limit_bytes).
**
** Parameters:
**   [in]  id         one of MEDAUG_LIMIT_*.
**   [in]  new_value  the new cap; negative leaves it unchanged (to query);
**                    0 or values above the maximum are clamped to
**                    1...maximum.
**
** Returns: the cap's previous value, or -1 for an unknown id.
**
** Thread-safety: any thread; the change applies to calls that start after
** it returns (calls in flight keep the caps they read).
** Since: 0.2.0 (ABI 1, symbol version MEDAUG_1.1)
*/
#define MEDAUG_LIMIT_IMAGE_PIXELS  1
#define MEDAUG_LIMIT_VOLUME_VOXELS 2
#define MEDAUG_LIMIT_MODEL_BYTES   3
#define MEDAUG_LIMIT_BATCH         4

MEDAUG_API int64_t medaug_limit(int32_t id, int64_t new_value);

#ifdef __cplusplus
}
#endif

#endif /* MEDAUG_H */
