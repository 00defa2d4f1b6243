// bench_json_simdjson.cpp -- simdjson's DOM parser for bench_json.c, and its
// DOM serializer (minified) for bench_json_write.c (C++).
#include <simdjson.h>

#include <string>

extern "C" int bench_simdjson_parse(const char *data, size_t len, long n);
extern "C" void *bench_simdjson_doc_new(const char *data, size_t len);
extern "C" size_t bench_simdjson_write(void *doc);
extern "C" void bench_simdjson_doc_free(void *doc);

// One parser reused, as simdjson recommends; the input has 64 bytes of
// padding after it (bench_json.c allocates them).
extern "C" int bench_simdjson_parse(const char *data, size_t len, long n) {
    static simdjson::dom::parser parser;
    for (long i = 0; i < n; i++) {
        simdjson::dom::element doc;
        if (parser.parse(data, len, false).get(doc)) return -1;
    }
    return 0;
}

namespace {
// A parsed document held for the write benchmark: the parser owns the tape.
struct held {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
};
}

// Parses data (copied into a padded buffer by simdjson) once; NULL on error.
extern "C" void *bench_simdjson_doc_new(const char *data, size_t len) {
    held *h = new held;
    if (h->parser.parse(data, len, true).get(h->root)) {
        delete h;
        return nullptr;
    }
    return h;
}

// Minified text of the held document into a fresh std::string; its length.
extern "C" size_t bench_simdjson_write(void *doc) {
    std::string s = simdjson::to_string(static_cast<held *>(doc)->root);
    return s.size();
}

extern "C" void bench_simdjson_doc_free(void *doc) { delete static_cast<held *>(doc); }
