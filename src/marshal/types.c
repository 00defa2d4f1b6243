/* types.c -- the marshal type code table, indexed by wire byte (see types.h). */
#include "marshal/types.h"

const acar_marshal_typeinfo acar_marshal_types[128] = {
#define ACAR_MARSHAL_ENTRY(name, byte, body, era, version) [byte] = {#name, body, era, version},
    ACAR_MARSHAL_TYPES(ACAR_MARSHAL_ENTRY)
#undef ACAR_MARSHAL_ENTRY
};
