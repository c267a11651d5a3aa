// nifticlib, the reference NIfTI-1 C library (Debian libnifti2-dev), for
// MedaugImaging's NIfTI reader and writer. Debian ships no pkg-config file
// for it; its headers live in /usr/include/nifti, and nifti1_io.h includes
// <znzlib.h> as if that folder were on the include path. znzlib.h beside
// this header forwards there, so no target needs an include flag.
#ifndef MEDAUG_CNIFTI_H
#define MEDAUG_CNIFTI_H

#include <nifti/nifti1_io.h>

#endif
