// The reference NIfTI-1 C library (Debian libnifti2-dev ships no pkg-config
// file, hence this module map; headers in /usr/include/nifti).
#include <nifti/nifti1_io.h>
