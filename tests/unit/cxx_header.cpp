// cxx_header.cpp -- acar.h compiles as C++ and links from a C++ program.
#include "acar.h"
#include <cstdio>

int main() {
    acar_doc *doc = acar_doc_new(nullptr);
    acar_val *list = acar_new_list(doc);
    acar_list_append(doc, list, acar_new_int(doc, 42));
    int64_t i = 0;
    bool ok = acar_len(list) == 1 && acar_int_get(acar_item(list, 0), &i) && i == 42;
    acar_doc_free(doc);
    std::printf("%d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
    return ok ? 0 : 1;
}
