/*
 * pyc_magic.h -- the one table of .pyc magic numbers.
 *
 * A .pyc opens with a 16-bit little-endian magic number and "\r\n".  Each
 * Python release accepts one magic; its alphas and betas used the numbers
 * below it, so each row is the range of one minor version and the magic its
 * releases write (0 where acar writes none: 3.15 is unreleased).  Header
 * sizes follow from the version: 8 bytes up to 3.2, 12 for 3.3 to 3.6, 16
 * from 3.7.  "body" says whether acar reads and writes the code objects of
 * that version (the layouts are in code.c).
 *
 * X(major, minor, first magic, last magic, release magic, body)
 */
#ifndef ACAR_PYC_MAGIC_H
#define ACAR_PYC_MAGIC_H

#define ACAR_PYC_MAGICS(X) \
    X(2, 0, 50823, 50823, 50823, 0) \
    X(2, 1, 60202, 60202, 60202, 0) \
    X(2, 2, 60717, 60717, 60717, 0) \
    X(2, 3, 62011, 62021, 62021, 0) \
    X(2, 4, 62041, 62061, 62061, 0) \
    X(2, 5, 62071, 62131, 62131, 0) \
    X(2, 6, 62151, 62161, 62161, 0) \
    X(2, 7, 62171, 62211, 62211, 1) \
    X(3, 0, 3000, 3131, 3131, 0) \
    X(3, 1, 3141, 3151, 3151, 0) \
    X(3, 2, 3160, 3180, 3180, 0) \
    X(3, 3, 3190, 3230, 3230, 0) \
    X(3, 4, 3250, 3310, 3310, 0) \
    X(3, 5, 3320, 3351, 3351, 0) \
    X(3, 6, 3360, 3379, 3379, 1) \
    X(3, 7, 3390, 3394, 3394, 1) \
    X(3, 8, 3400, 3413, 3413, 1) \
    X(3, 9, 3420, 3425, 3425, 1) \
    X(3, 10, 3430, 3439, 3439, 1) \
    X(3, 11, 3450, 3495, 3495, 1) \
    X(3, 12, 3500, 3531, 3531, 1) \
    X(3, 13, 3550, 3571, 3571, 1) \
    X(3, 14, 3600, 3627, 3627, 0) \
    X(3, 15, 3650, 3699, 0, 0)

typedef struct acar_pyc_magic {
    unsigned pyver;          /* ACAR_PYVER(major, minor) */
    uint16_t first, last;    /* magic numbers of that version */
    uint16_t release;        /* the one its releases write; 0 when none */
    uint8_t body;            /* acar reads its code objects */
} acar_pyc_magic;

#endif
