/* bench_json_jsonc.c -- json-c for bench_json.c, in a file of its own:
 * json-c and jansson both name a type json_object. */
#include <json-c/json.h>
#include <stddef.h>

int bench_jsonc_parse(const char *data, size_t len, long n);

int bench_jsonc_parse(const char *data, size_t len, long n) {
    json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
    if (!tok) return -1;
    int rc = 0;
    for (long i = 0; i < n && rc == 0; i++) {
        json_tokener_reset(tok);
        json_object *j = json_tokener_parse_ex(tok, data, (int)len);
        if (!j) rc = -1;
        else json_object_put(j);
    }
    json_tokener_free(tok);
    return rc;
}
