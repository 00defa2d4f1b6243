// bench_json_simdjson.cpp -- simdjson's DOM parser for bench_json.c (C++).
#include <simdjson.h>

extern "C" int bench_simdjson_parse(const char *data, size_t len, long n);

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
