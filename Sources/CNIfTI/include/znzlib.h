// Forwarder: nifti1_io.h includes <znzlib.h>; Debian installs it as
// <nifti/znzlib.h> (see CNIfTI.h).
#include <nifti/znzlib.h>
