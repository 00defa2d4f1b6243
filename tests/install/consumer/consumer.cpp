// consumer.cpp -- a C++ program built against an installed acar: acar.h
// compiles as C++11 with -Wpedantic and its functions link with C names.
#include <acar.h>

#include <cstdio>
#include <cstring>
#include <string>

int main() {
    acar_doc *doc = acar_doc_new(nullptr);
    acar_err err;
    // pickle.dumps([1, 'two', 3.0], 4) from CPython.
    static const unsigned char data[] = {
        0x80, 0x04, 0x95, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0x94,
        0x28, 0x4b, 0x01, 0x8c, 0x03, 0x74, 0x77, 0x6f, 0x94, 0x47, 0x40, 0x08, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x65, 0x2e};
    acar_val *v = acar_read(doc, data, sizeof data, nullptr, &err);
    acar_buf out = {};
    bool ok = v && acar_repr(v, &out, &err) == 0 &&
              std::string(out.data, out.len) == "[1, 'two', 3.0]";
    acar_buf_free(&out);
    acar_doc_free(doc);
    if (ok) std::printf("ok %s\n", acar_version());
    else std::fprintf(stderr, "reading a pickle from C++ failed\n");
    return ok ? 0 : 1;
}
