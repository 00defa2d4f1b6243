/*
 * opcodes.h -- the one table of pickle opcodes (protocols 0-5).
 *
 * A pickle is a program for a small stack machine: each opcode is one byte,
 * followed by an argument whose shape is fixed per opcode (ACAR_PA_*).  The
 * enum values are the wire bytes.  Reader, writer, disassembler and scanner
 * all take names, argument shapes and protocols from this table alone.
 *
 * X(NAME, byte, argument shape, protocol that introduced it)
 */
#ifndef ACAR_PICKLE_OPCODES_H
#define ACAR_PICKLE_OPCODES_H

#include <stdint.h>

/* Argument shapes, named as pickletools names them. */
typedef enum acar_pickle_arg {
    ACAR_PA_NONE,
    ACAR_PA_UINT1, ACAR_PA_UINT2, ACAR_PA_INT4, ACAR_PA_UINT4, ACAR_PA_UINT8,
    ACAR_PA_LONG1, ACAR_PA_LONG4,                 /* n bytes of two's complement */
    ACAR_PA_DECIMALNL_SHORT, ACAR_PA_DECIMALNL_LONG, ACAR_PA_FLOATNL,
    ACAR_PA_FLOAT8,
    ACAR_PA_STRINGNL, ACAR_PA_STRINGNL_NOESCAPE, ACAR_PA_STRINGNL_NOESCAPE_PAIR,
    ACAR_PA_STRING1, ACAR_PA_STRING4,             /* Python 2 str */
    ACAR_PA_BYTES1, ACAR_PA_BYTES4, ACAR_PA_BYTES8, ACAR_PA_BYTEARRAY8,
    ACAR_PA_UNICODESTRINGNL, ACAR_PA_UNICODESTRING1, ACAR_PA_UNICODESTRING4,
    ACAR_PA_UNICODESTRING8
} acar_pickle_arg;

#define ACAR_PICKLE_OPCODES(X) \
    X(INT,              'I',  ACAR_PA_DECIMALNL_SHORT, 0) \
    X(BININT,           'J',  ACAR_PA_INT4, 1) \
    X(BININT1,          'K',  ACAR_PA_UINT1, 1) \
    X(BININT2,          'M',  ACAR_PA_UINT2, 1) \
    X(LONG,             'L',  ACAR_PA_DECIMALNL_LONG, 0) \
    X(LONG1,            0x8a, ACAR_PA_LONG1, 2) \
    X(LONG4,            0x8b, ACAR_PA_LONG4, 2) \
    X(STRING,           'S',  ACAR_PA_STRINGNL, 0) \
    X(BINSTRING,        'T',  ACAR_PA_STRING4, 1) \
    X(SHORT_BINSTRING,  'U',  ACAR_PA_STRING1, 1) \
    X(BINBYTES,         'B',  ACAR_PA_BYTES4, 3) \
    X(SHORT_BINBYTES,   'C',  ACAR_PA_BYTES1, 3) \
    X(BINBYTES8,        0x8e, ACAR_PA_BYTES8, 4) \
    X(BYTEARRAY8,       0x96, ACAR_PA_BYTEARRAY8, 5) \
    X(NEXT_BUFFER,      0x97, ACAR_PA_NONE, 5) \
    X(READONLY_BUFFER,  0x98, ACAR_PA_NONE, 5) \
    X(NONE,             'N',  ACAR_PA_NONE, 0) \
    X(NEWTRUE,          0x88, ACAR_PA_NONE, 2) \
    X(NEWFALSE,         0x89, ACAR_PA_NONE, 2) \
    X(UNICODE,          'V',  ACAR_PA_UNICODESTRINGNL, 0) \
    X(SHORT_BINUNICODE, 0x8c, ACAR_PA_UNICODESTRING1, 4) \
    X(BINUNICODE,       'X',  ACAR_PA_UNICODESTRING4, 1) \
    X(BINUNICODE8,      0x8d, ACAR_PA_UNICODESTRING8, 4) \
    X(FLOAT,            'F',  ACAR_PA_FLOATNL, 0) \
    X(BINFLOAT,         'G',  ACAR_PA_FLOAT8, 1) \
    X(EMPTY_LIST,       ']',  ACAR_PA_NONE, 1) \
    X(APPEND,           'a',  ACAR_PA_NONE, 0) \
    X(APPENDS,          'e',  ACAR_PA_NONE, 1) \
    X(LIST,             'l',  ACAR_PA_NONE, 0) \
    X(EMPTY_TUPLE,      ')',  ACAR_PA_NONE, 1) \
    X(TUPLE,            't',  ACAR_PA_NONE, 0) \
    X(TUPLE1,           0x85, ACAR_PA_NONE, 2) \
    X(TUPLE2,           0x86, ACAR_PA_NONE, 2) \
    X(TUPLE3,           0x87, ACAR_PA_NONE, 2) \
    X(EMPTY_DICT,       '}',  ACAR_PA_NONE, 1) \
    X(DICT,             'd',  ACAR_PA_NONE, 0) \
    X(SETITEM,          's',  ACAR_PA_NONE, 0) \
    X(SETITEMS,         'u',  ACAR_PA_NONE, 1) \
    X(EMPTY_SET,        0x8f, ACAR_PA_NONE, 4) \
    X(ADDITEMS,         0x90, ACAR_PA_NONE, 4) \
    X(FROZENSET,        0x91, ACAR_PA_NONE, 4) \
    X(POP,              '0',  ACAR_PA_NONE, 0) \
    X(DUP,              '2',  ACAR_PA_NONE, 0) \
    X(MARK,             '(',  ACAR_PA_NONE, 0) \
    X(POP_MARK,         '1',  ACAR_PA_NONE, 1) \
    X(GET,              'g',  ACAR_PA_DECIMALNL_SHORT, 0) \
    X(BINGET,           'h',  ACAR_PA_UINT1, 1) \
    X(LONG_BINGET,      'j',  ACAR_PA_UINT4, 1) \
    X(PUT,              'p',  ACAR_PA_DECIMALNL_SHORT, 0) \
    X(BINPUT,           'q',  ACAR_PA_UINT1, 1) \
    X(LONG_BINPUT,      'r',  ACAR_PA_UINT4, 1) \
    X(MEMOIZE,          0x94, ACAR_PA_NONE, 4) \
    X(EXT1,             0x82, ACAR_PA_UINT1, 2) \
    X(EXT2,             0x83, ACAR_PA_UINT2, 2) \
    X(EXT4,             0x84, ACAR_PA_INT4, 2) \
    X(GLOBAL,           'c',  ACAR_PA_STRINGNL_NOESCAPE_PAIR, 0) \
    X(STACK_GLOBAL,     0x93, ACAR_PA_NONE, 4) \
    X(REDUCE,           'R',  ACAR_PA_NONE, 0) \
    X(BUILD,            'b',  ACAR_PA_NONE, 0) \
    X(INST,             'i',  ACAR_PA_STRINGNL_NOESCAPE_PAIR, 0) \
    X(OBJ,              'o',  ACAR_PA_NONE, 1) \
    X(NEWOBJ,           0x81, ACAR_PA_NONE, 2) \
    X(NEWOBJ_EX,        0x92, ACAR_PA_NONE, 4) \
    X(PROTO,            0x80, ACAR_PA_UINT1, 2) \
    X(STOP,             '.',  ACAR_PA_NONE, 0) \
    X(FRAME,            0x95, ACAR_PA_UINT8, 4) \
    X(PERSID,           'P',  ACAR_PA_STRINGNL_NOESCAPE, 0) \
    X(BINPERSID,        'Q',  ACAR_PA_NONE, 1)

typedef enum acar_pickle_op {
#define ACAR_PICKLE_ENUM(name, byte, arg, proto) ACAR_OP_##name = (byte),
    ACAR_PICKLE_OPCODES(ACAR_PICKLE_ENUM)
#undef ACAR_PICKLE_ENUM
} acar_pickle_op;

typedef struct acar_pickle_opinfo {
    const char *name;          /* NULL: not an opcode */
    uint8_t arg;               /* acar_pickle_arg */
    uint8_t proto;
    /* What the disassembler needs (opcodes.c, one entry per opcode): the
     * stack before and after the opcode, one ACAR_SO_* letter per object,
     * topmost last, and the first line of the opcode's description, which
     * the annotated listing prints. */
    const char *before;
    const char *after;
    const char *doc;
} acar_pickle_opinfo;

/* Indexed by the opcode byte. */
extern const acar_pickle_opinfo acar_pickle_ops[256];

/* Stack object letters of acar_pickle_opinfo.before/after. */
#define ACAR_SO_ANY        'a'
#define ACAR_SO_MARK       'm'
#define ACAR_SO_STACKSLICE '*'   /* everything above the mark */
#define ACAR_SO_INT        'i'
#define ACAR_SO_INT_OR_BOOL 'I'
#define ACAR_SO_BOOL       'b'
#define ACAR_SO_FLOAT      'f'
#define ACAR_SO_BYTES      'y'
#define ACAR_SO_BYTEARRAY  'Y'
#define ACAR_SO_BYTES_OR_STR 'S'
#define ACAR_SO_STR        's'
#define ACAR_SO_NONE       'N'
#define ACAR_SO_TUPLE      't'
#define ACAR_SO_LIST       'l'
#define ACAR_SO_DICT       'd'
#define ACAR_SO_SET        'e'
#define ACAR_SO_FROZENSET  'E'
#define ACAR_SO_BUFFER     'B'

/* The name a stack object letter stands for ("any", "mark", "int_or_bool",
 * ...), or NULL for an unknown letter. */
const char *acar_pickle_stack_name(char so);

/* The name of an argument shape ("uint1", "decimalnl_short", "stringnl",
 * ...; "" for ACAR_PA_NONE). */
const char *acar_pickle_arg_name(acar_pickle_arg arg);

#define ACAR_PICKLE_HIGHEST_PROTOCOL 5
#define ACAR_PICKLE_FRAME_TARGET 65536   /* CPython's _FRAME_SIZE_TARGET */
#define ACAR_PICKLE_BATCH 1000          /* CPython's _BATCHSIZE: items an APPENDS/SETITEMS/ADDITEMS takes */

#endif
