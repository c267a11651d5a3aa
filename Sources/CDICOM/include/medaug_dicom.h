/*
 * A small C interface over GDCM (Grassroots DICOM) for medaug's DICOM
 * reader: one call reads one file's geometry, rescale and (optionally) its
 * decoded pixels. C++ stays inside dicom_reader.cpp; no C++ exception
 * crosses this boundary.
 *
 * Privacy: only what medaug needs is copied out (sizes, pixel format,
 * rescale, geometry, modality, the series UID for grouping files in memory,
 * the instance number). No patient, study or institution field is read.
 */
#ifndef MEDAUG_DICOM_H
#define MEDAUG_DICOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Stored sample type of the decoded pixels. */
typedef enum {
    MDCM_UINT8 = 1, MDCM_INT8, MDCM_UINT16, MDCM_INT16, MDCM_UINT32, MDCM_INT32,
    MDCM_FLOAT32, MDCM_FLOAT64
} mdcm_sample_type;

/* Status of mdcm_read. */
typedef enum {
    MDCM_OK = 0,
    MDCM_ERROR_READ = 1,        /* not DICOM, truncated or malformed */
    MDCM_ERROR_UNSUPPORTED = 2, /* a valid file medaug does not take (no image, colour, 64-bit ...) */
    MDCM_ERROR_TOO_LARGE = 3,   /* decoded pixels would exceed max_pixel_bytes */
    MDCM_ERROR_DECODE = 4,      /* pixel data could not be decoded (codec or damaged data) */
    MDCM_ERROR_MEMORY = 5
} mdcm_status;

typedef struct {
    uint32_t columns, rows, frames;   /* frames is 1 for single-frame files */
    uint32_t samples_per_pixel;
    int32_t sample_type;              /* mdcm_sample_type */
    uint16_t bits_allocated, bits_stored;
    double slope, intercept;          /* value = stored * slope + intercept */
    double spacing[3];                /* column, row, frame spacing (mm) as GDCM derives them */
    double origin[3];                 /* first pixel centre, DICOM patient coordinates (LPS, mm) */
    double direction[6];              /* row then column direction cosines (ImageOrientationPatient) */
    int32_t has_position;             /* 1 if the file states ImagePositionPatient / ImageOrientationPatient */
    double last_origin[3];            /* multi-frame with per-frame positions: the last frame's position (LPS) */
    int32_t has_last_origin;          /* 1 if last_origin is set */
    int32_t instance_number;          /* 0 if absent */
    char photometric[32];
    char modality[17];
    char series_uid[65];              /* for grouping only; never written anywhere */
    char sop_instance_uid[65];        /* for placing SEG frames that name their source image; never written */
    char transfer_syntax[65];         /* UID */
    void *pixels;                     /* frames*rows*columns samples, or NULL; free with mdcm_image_free */
    size_t pixel_bytes;
} mdcm_image;

/*
 * Reads `path`. With `with_pixels` 0 the pixel data is not decoded
 * (pixels NULL). `max_pixel_bytes` caps the decoded size (checked from the
 * header before any allocation). On failure `error` receives a message
 * (NUL-terminated, at most error_size bytes) and `out` holds nothing to free.
 * Thread-safe: distinct calls share no state.
 */
int mdcm_read(const char *path, int with_pixels, uint64_t max_pixel_bytes, mdcm_image *out,
              char *error, size_t error_size);

/* Frees out->pixels (NULL allowed) and clears the pointer. */
void mdcm_image_free(mdcm_image *image);

/*
 * Reads `path` with GDCM as a tree of data elements, for the annotation
 * objects (DICOM SEG, RT Structure Set) whose content medaug decodes
 * itself. `*stream` receives `*size` bytes of records, little endian:
 *   'E' tag (u32, group << 16 | element), VR (2 chars), length (u32), value
 *       an element with its raw value bytes as stored; length 0xFFFFFFFF
 *       and no bytes for encapsulated (compressed) Pixel Data
 *   'S' tag (u32)   a sequence starts; its items follow, then 's'
 *   'I'             an item starts; its elements follow, then 'i'
 * The file meta group (0002) comes first. Values of implicit-VR files get
 * their VR from GDCM's dictionary ("UN" when it has none). At most
 * `max_bytes` bytes are produced (MDCM_ERROR_TOO_LARGE beyond). Runs in the
 * forked decoder process. Free the stream with mdcm_dataset_free.
 */
int mdcm_read_dataset(const char *path, uint64_t max_bytes, unsigned char **stream, size_t *size, char *error,
                      size_t error_size);

void mdcm_dataset_free(unsigned char *stream);

#ifdef __cplusplus
}
#endif
#endif
