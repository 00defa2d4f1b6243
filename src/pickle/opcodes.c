/* opcodes.c -- the opcode table, indexed by wire byte (see opcodes.h). */
#include "pickle/opcodes.h"

#include <stddef.h>

/* Per opcode: stack before, stack after (ACAR_SO_* letters, topmost last),
 * first line of its description.  The descriptions are the ones the
 * annotated listing (acar dis --annotate) prints, word for word. */
#define DIS_INT "", "I", \
    "Push an integer or bool."
#define DIS_BININT "", "i", \
    "Push a four-byte signed integer."
#define DIS_BININT1 "", "i", \
    "Push a one-byte unsigned integer."
#define DIS_BININT2 "", "i", \
    "Push a two-byte unsigned integer."
#define DIS_LONG "", "i", \
    "Push a long integer."
#define DIS_LONG1 "", "i", \
    "Long integer using one-byte length."
#define DIS_LONG4 "", "i", \
    "Long integer using found-byte length."
#define DIS_STRING "", "S", \
    "Push a Python string object."
#define DIS_BINSTRING "", "S", \
    "Push a Python string object."
#define DIS_SHORT_BINSTRING "", "S", \
    "Push a Python string object."
#define DIS_BINBYTES "", "y", \
    "Push a Python bytes object."
#define DIS_SHORT_BINBYTES "", "y", \
    "Push a Python bytes object."
#define DIS_BINBYTES8 "", "y", \
    "Push a Python bytes object."
#define DIS_BYTEARRAY8 "", "Y", \
    "Push a Python bytearray object."
#define DIS_NEXT_BUFFER "", "B", \
    "Push an out-of-band buffer object."
#define DIS_READONLY_BUFFER "B", "B", \
    "Make an out-of-band buffer object read-only."
#define DIS_NONE "", "N", \
    "Push None on the stack."
#define DIS_NEWTRUE "", "b", \
    "Push True onto the stack."
#define DIS_NEWFALSE "", "b", \
    "Push False onto the stack."
#define DIS_UNICODE "", "s", \
    "Push a Python Unicode string object."
#define DIS_SHORT_BINUNICODE "", "s", \
    "Push a Python Unicode string object."
#define DIS_BINUNICODE "", "s", \
    "Push a Python Unicode string object."
#define DIS_BINUNICODE8 "", "s", \
    "Push a Python Unicode string object."
#define DIS_FLOAT "", "f", \
    "Newline-terminated decimal float literal."
#define DIS_BINFLOAT "", "f", \
    "Float stored in binary form, with 8 bytes of data."
#define DIS_EMPTY_LIST "", "l", \
    "Push an empty list."
#define DIS_APPEND "la", "l", \
    "Append an object to a list."
#define DIS_APPENDS "lm*", "l", \
    "Extend a list by a slice of stack objects."
#define DIS_LIST "m*", "l", \
    "Build a list out of the topmost stack slice, after markobject."
#define DIS_EMPTY_TUPLE "", "t", \
    "Push an empty tuple."
#define DIS_TUPLE "m*", "t", \
    "Build a tuple out of the topmost stack slice, after markobject."
#define DIS_TUPLE1 "a", "t", \
    "Build a one-tuple out of the topmost item on the stack."
#define DIS_TUPLE2 "aa", "t", \
    "Build a two-tuple out of the top two items on the stack."
#define DIS_TUPLE3 "aaa", "t", \
    "Build a three-tuple out of the top three items on the stack."
#define DIS_EMPTY_DICT "", "d", \
    "Push an empty dict."
#define DIS_DICT "m*", "d", \
    "Build a dict out of the topmost stack slice, after markobject."
#define DIS_SETITEM "daa", "d", \
    "Add a key+value pair to an existing dict."
#define DIS_SETITEMS "dm*", "d", \
    "Add an arbitrary number of key+value pairs to an existing dict."
#define DIS_EMPTY_SET "", "e", \
    "Push an empty set."
#define DIS_ADDITEMS "em*", "e", \
    "Add an arbitrary number of items to an existing set."
#define DIS_FROZENSET "m*", "E", \
    "Build a frozenset out of the topmost slice, after markobject."
#define DIS_POP "a", "", \
    "Discard the top stack item, shrinking the stack by one item."
#define DIS_DUP "a", "aa", \
    "Push the top stack item onto the stack again, duplicating it."
#define DIS_MARK "", "m", \
    "Push markobject onto the stack."
#define DIS_POP_MARK "m*", "", \
    "Pop all the stack objects at and above the topmost markobject."
#define DIS_GET "", "a", \
    "Read an object from the memo and push it on the stack."
#define DIS_BINGET "", "a", \
    "Read an object from the memo and push it on the stack."
#define DIS_LONG_BINGET "", "a", \
    "Read an object from the memo and push it on the stack."
#define DIS_PUT "", "", \
    "Store the stack top into the memo.  The stack is not popped."
#define DIS_BINPUT "", "", \
    "Store the stack top into the memo.  The stack is not popped."
#define DIS_LONG_BINPUT "", "", \
    "Store the stack top into the memo.  The stack is not popped."
#define DIS_MEMOIZE "a", "a", \
    "Store the stack top into the memo.  The stack is not popped."
#define DIS_EXT1 "", "a", \
    "Extension code."
#define DIS_EXT2 "", "a", \
    "Extension code."
#define DIS_EXT4 "", "a", \
    "Extension code."
#define DIS_GLOBAL "", "a", \
    "Push a global object (module.attr) on the stack."
#define DIS_STACK_GLOBAL "ss", "a", \
    "Push a global object (module.attr) on the stack."
#define DIS_REDUCE "aa", "a", \
    "Push an object built from a callable and an argument tuple."
#define DIS_BUILD "aa", "a", \
    "Finish building an object, via __setstate__ or dict update."
#define DIS_INST "m*", "a", \
    "Build a class instance."
#define DIS_OBJ "ma*", "a", \
    "Build a class instance."
#define DIS_NEWOBJ "aa", "a", \
    "Build an object instance."
#define DIS_NEWOBJ_EX "aaa", "a", \
    "Build an object instance."
#define DIS_PROTO "", "", \
    "Protocol version indicator."
#define DIS_STOP "a", "", \
    "Stop the unpickling machine."
#define DIS_FRAME "", "", \
    "Indicate the beginning of a new frame."
#define DIS_PERSID "", "a", \
    "Push an object identified by a persistent ID."
#define DIS_BINPERSID "a", "a", \
    "Push an object identified by a persistent ID."

const acar_pickle_opinfo acar_pickle_ops[256] = {
#define ACAR_PICKLE_ENTRY(name, byte, arg, proto) [byte] = {#name, arg, proto, DIS_##name},
    ACAR_PICKLE_OPCODES(ACAR_PICKLE_ENTRY)
#undef ACAR_PICKLE_ENTRY
};

const char *acar_pickle_stack_name(char so) {
    switch (so) {
    case ACAR_SO_ANY: return "any";
    case ACAR_SO_MARK: return "mark";
    case ACAR_SO_STACKSLICE: return "stackslice";
    case ACAR_SO_INT: return "int";
    case ACAR_SO_INT_OR_BOOL: return "int_or_bool";
    case ACAR_SO_BOOL: return "bool";
    case ACAR_SO_FLOAT: return "float";
    case ACAR_SO_BYTES: return "bytes";
    case ACAR_SO_BYTEARRAY: return "bytearray";
    case ACAR_SO_BYTES_OR_STR: return "bytes_or_str";
    case ACAR_SO_STR: return "str";
    case ACAR_SO_NONE: return "None";
    case ACAR_SO_TUPLE: return "tuple";
    case ACAR_SO_LIST: return "list";
    case ACAR_SO_DICT: return "dict";
    case ACAR_SO_SET: return "set";
    case ACAR_SO_FROZENSET: return "frozenset";
    case ACAR_SO_BUFFER: return "buffer";
    default: return NULL;
    }
}

const char *acar_pickle_arg_name(acar_pickle_arg arg) {
    static const char *const names[] = {
        [ACAR_PA_NONE] = "",
        [ACAR_PA_UINT1] = "uint1", [ACAR_PA_UINT2] = "uint2", [ACAR_PA_INT4] = "int4",
        [ACAR_PA_UINT4] = "uint4", [ACAR_PA_UINT8] = "uint8",
        [ACAR_PA_LONG1] = "long1", [ACAR_PA_LONG4] = "long4",
        [ACAR_PA_DECIMALNL_SHORT] = "decimalnl_short", [ACAR_PA_DECIMALNL_LONG] = "decimalnl_long",
        [ACAR_PA_FLOATNL] = "floatnl", [ACAR_PA_FLOAT8] = "float8",
        [ACAR_PA_STRINGNL] = "stringnl", [ACAR_PA_STRINGNL_NOESCAPE] = "stringnl_noescape",
        [ACAR_PA_STRINGNL_NOESCAPE_PAIR] = "stringnl_noescape_pair",
        [ACAR_PA_STRING1] = "string1", [ACAR_PA_STRING4] = "string4",
        [ACAR_PA_BYTES1] = "bytes1", [ACAR_PA_BYTES4] = "bytes4", [ACAR_PA_BYTES8] = "bytes8",
        [ACAR_PA_BYTEARRAY8] = "bytearray8",
        [ACAR_PA_UNICODESTRINGNL] = "unicodestringnl", [ACAR_PA_UNICODESTRING1] = "unicodestring1",
        [ACAR_PA_UNICODESTRING4] = "unicodestring4", [ACAR_PA_UNICODESTRING8] = "unicodestring8",
    };
    return (size_t)arg < sizeof names / sizeof names[0] && names[arg] ? names[arg] : "";
}
