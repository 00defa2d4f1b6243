/* opcodes.c -- the opcode table, indexed by wire byte (see opcodes.h). */
#include "pickle/opcodes.h"

const acar_pickle_opinfo acar_pickle_ops[256] = {
#define ACAR_PICKLE_ENTRY(name, byte, arg, proto) [byte] = {#name, arg, proto},
    ACAR_PICKLE_OPCODES(ACAR_PICKLE_ENTRY)
#undef ACAR_PICKLE_ENTRY
};
