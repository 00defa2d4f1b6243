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

/* A Python literal of dicts, tuples, lists, str, int, True/False/None, as
 * NumPy writes .npy headers and structured descrs, read into doc with an
 * explicit stack; offsets in err are base + the position in s. */
acar_val *acar__npy_literal(acar_doc *doc, const char *s, size_t n, size_t base, acar_err *err);

/* A plain (non-structured) dtype parsed from NumPy's dtype.str: "<f8",
 * "|S5", "<U3", "|V4", "|O", "<M8[ns]", ">m8[10s]" ('=' is '<'; the order
 * is normalised as NumPy's: '|' for one-byte, S, V, O and bool). */
typedef struct acar__np_dtype {
    char kind, order;
    uint64_t count;      /* the digits: bytes, or characters for U */
    size_t itemsize, align;
    int64_t elsize, flags; /* as the pickled dtype state has them */
    char unit[16];       /* datetime unit ("ns"; "generic" when none) */
    int64_t unit_count;
} acar__np_dtype;
int acar__np_plain(const char *s, size_t n, acar__np_dtype *p);

/* Sizes and offsets of a .npz from which zip64 fields are written
 * (0xffffffff; tests lower it to reach those paths). */
extern uint64_t acar__npz_zip64_limit;

#endif
