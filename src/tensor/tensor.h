/*
 * tensor.h -- NumPy arrays and (later) PyTorch tensors as views, internal
 * until the lead moves the declarations marked "public" into include/acar.h.
 *
 * An array view never copies element bytes: data points into the
 * document's bytes/bytearray/buffer node (which points into the caller's
 * input when it was read with ACAR_READ_BORROW), into a caller's
 * out-of-band buffer, or into the bytes of a .npy file.
 */
#ifndef ACAR_TENSOR_H
#define ACAR_TENSOR_H

#include "core/internal.h"

/* The public declarations (acar_array, acar_torch, ...) are in acar.h. */

/* ---- internal ---- */

/* For the repr printer (`acar show model.pt`): prints a tensor node as
 * tensor(float32, (2, 3)) -- parameter(...) for nn.Parameter -- and
 * returns 1; returns 0 (nothing printed) for any other node. */
int acar__tensor_repr(const acar_val *v, acar_out *out);

/* C or Fortran strides (as a->fortran says) from shape and itemsize, as
 * NumPy fills them; -1 when one would pass INT64_MAX. */
int acar__array_fill_strides(acar_array *a);

#endif
