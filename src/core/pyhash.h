/*
 * pyhash.h -- CPython 3.11's hash() and set iteration order (internal).
 *
 * Python prints a set in the order of its hash table, and a set that
 * pickle.loads builds is filled by adding the stored items one by one to an
 * empty set (EMPTY_SET + ADDITEMS, FROZENSET, or builtins.set(list) and
 * builtins.frozenset(list) through REDUCE).  acar keeps the stored order so
 * that it can write the same bytes back; the repr printer asks here for the
 * order CPython would iterate in.
 *
 * Hashes are those of a 64-bit CPython 3.11 run with PYTHONHASHSEED=0
 * (siphash13 with an all-zero key, no small-string cutoff).
 */
#ifndef ACAR_PYHASH_H
#define ACAR_PYHASH_H

#include "core/internal.h"

/* Node visits one acar__py_hash call may make before it gives up (-1).
 * Tuples do not cache their hash, so a small graph of shared tuples can
 * stand for an exponential amount of hashing; this caps it. */
#define ACAR_PYHASH_BUDGET ((size_t)1 << 26)

/* hash(v) in CPython 3.11 under PYTHONHASHSEED=0: int of any size, bool,
 * float, complex, str, bytes, tuple, frozenset.  Returns 0 with *out set
 * when that hash does not depend on object addresses, -1 otherwise: None,
 * Ellipsis, NaN (3.10+ hashes NaN by identity, so complex with a NaN part
 * too), globals, objects and every other node, anything holding one of
 * those, unhashable nodes, and inputs over ACAR_PYHASH_BUDGET.  Nesting is
 * walked with an explicit stack (malloc beyond 32 levels; failure gives -1). */
int acar__py_hash(const acar_val *v, int64_t *out);

/* The order in which CPython 3.11 iterates a set or frozenset built by
 * adding the items of the node, in their stored order, to an empty set:
 * fills order[0..len) with item indices (order[k] is the index of the k-th
 * item printed).  Returns 0; or -1, with order left as 0, 1, ..., len-1,
 * when set is not a set/frozenset, when an item has no deterministic hash
 * (see acar__py_hash); -2, order likewise, when malloc fails (a printer
 * must then fail: the stored order is not CPython's).  Sets of 0 or 1 items always
 * succeed.  Temporary memory (malloc, freed before returning): 8 bytes per
 * item for the hashes plus the simulated table of one size_t per slot, at
 * most 8 * len slots (and the previous table, half that, while the table is
 * rebuilt).  Work is linear in the items and their hashing, which
 * shares one budget of ACAR_PYHASH_BUDGET + 256 * len node visits.
 * Items are assumed distinct (acar sets deduplicate on insertion); equal
 * items would each get a slot, never a crash. */
int acar__py_set_order(const acar_val *set, size_t *order);

#endif
