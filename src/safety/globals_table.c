/*
 * globals_table.c -- THE table of globals the pickle scanner knows.
 *
 * Loading a pickle in Python runs find_class(module, name) for every global
 * it names, which imports module (running its code) and looks the name up;
 * REDUCE, NEWOBJ, INST, OBJ and BUILD then call what was found.  A global
 * is therefore:
 *
 *   safe       plain-data builtins and well-known data classes: importing
 *              and calling them builds a value and runs nothing else;
 *   dangerous  anything that runs commands or code, touches files, the
 *              network or the interpreter, imports at will, or unpickles
 *              more data (a nested pickle is scanned too, but the call is
 *              dangerous whatever it holds);
 *   unknown    everything else: some class's own code would run.
 *
 * Rules, in the order they are tried (acar__scan_classify):
 *   1. an entry for exactly (module, name);
 *   2. a dangerous entry for (module, first part of a dotted name):
 *      builtins.eval.__call__ is as dangerous as builtins.eval;
 *   3. any part of the name is an attribute that reaches the interpreter's
 *      insides (__globals__, __subclasses__, __builtins__, ...): dangerous;
 *   4. an entry (module or a parent package, "*"): the whole module;
 *   5. otherwise unknown.
 * The scanner's --allow entries are tried before all of these.
 *
 * Python 2 names (__builtin__, copy_reg, cPickle, commands, ...) are listed
 * too: under protocols 0-2 the reader maps them as fix_imports does, and a
 * pickle of protocol 3+ may still name them for a Python 2 loader.
 */
#include "safety/scan.h"

#include <string.h>

typedef struct gentry {
    const char *module;
    const char *name;      /* "*": every name of module and of its submodules */
    unsigned char sev;     /* acar_scan_severity */
    const char *why;       /* dangerous: what it can do */
} gentry;

#define SAFE(m, n) {m, n, ACAR_SCAN_SAFE, NULL}
#define DANGER(m, n, why) {m, n, ACAR_SCAN_DANGEROUS, why}

#define W_SHELL "runs shell commands or programs"
#define W_CODE "runs Python code"
#define W_FILES "opens, reads or writes files"
#define W_IMPORT "imports modules by name"
#define W_NET "opens network connections"
#define W_PICKLE "unpickles more data"
#define W_ATTR "reaches arbitrary attributes"
#define W_INTERP "reaches the interpreter's internals"
#define W_PROC "controls processes or the interpreter"
#define W_CALL "calls what it is given later"

static const gentry table[] = {
    /* ---- plain data: builtins ---- */
    SAFE("builtins", "set"), SAFE("builtins", "frozenset"), SAFE("builtins", "bytearray"),
    SAFE("builtins", "bytes"), SAFE("builtins", "complex"), SAFE("builtins", "slice"),
    SAFE("builtins", "range"), SAFE("builtins", "list"), SAFE("builtins", "dict"),
    SAFE("builtins", "tuple"), SAFE("builtins", "int"), SAFE("builtins", "float"),
    SAFE("builtins", "str"), SAFE("builtins", "bool"), SAFE("builtins", "object"),
    SAFE("builtins", "Ellipsis"), SAFE("builtins", "NotImplemented"),
    SAFE("builtins", "memoryview"),
    /* Python 2 spellings the reader maps only under protocols 0-2 */
    SAFE("__builtin__", "set"), SAFE("__builtin__", "frozenset"), SAFE("__builtin__", "bytearray"),
    SAFE("__builtin__", "complex"), SAFE("__builtin__", "slice"), SAFE("__builtin__", "object"),
    SAFE("__builtin__", "list"), SAFE("__builtin__", "dict"), SAFE("__builtin__", "tuple"),
    SAFE("__builtin__", "int"), SAFE("__builtin__", "long"), SAFE("__builtin__", "float"),
    SAFE("__builtin__", "str"), SAFE("__builtin__", "unicode"), SAFE("__builtin__", "bool"),
    SAFE("__builtin__", "xrange"),
    /* bytes before protocol 3, and the codecs CPython itself uses there */
    SAFE("_codecs", "encode"), SAFE("codecs", "encode"),
    /* copyreg's helpers call the class they are given, which is itself a
     * global the scanner classifies where it is named */
    SAFE("copyreg", "_reconstructor"), SAFE("copyreg", "__newobj__"), SAFE("copyreg", "__newobj_ex__"),
    SAFE("copy_reg", "_reconstructor"), SAFE("copy_reg", "__newobj__"),
    /* partial(f, ...) is how protocols 2-3 write keyword-only __new__
     * arguments; the scanner judges a call of a partial by f, which is a
     * global classified where it is named (scan.c: resolve) */
    SAFE("functools", "partial"), SAFE("_functools", "partial"),

    /* ---- plain data: well-known classes of the standard library ---- */
    SAFE("collections", "OrderedDict"), SAFE("collections", "defaultdict"),
    SAFE("collections", "deque"), SAFE("collections", "Counter"),
    SAFE("_collections", "OrderedDict"), SAFE("_collections", "defaultdict"),
    SAFE("_collections", "deque"),
    SAFE("datetime", "datetime"), SAFE("datetime", "date"), SAFE("datetime", "time"),
    SAFE("datetime", "timedelta"), SAFE("datetime", "timezone"), SAFE("datetime", "tzinfo"),
    SAFE("decimal", "Decimal"), SAFE("_decimal", "Decimal"), SAFE("_pydecimal", "Decimal"),
    SAFE("fractions", "Fraction"), SAFE("uuid", "UUID"), SAFE("uuid", "SafeUUID"),
    SAFE("ipaddress", "IPv4Address"), SAFE("ipaddress", "IPv6Address"),
    SAFE("ipaddress", "IPv4Network"), SAFE("ipaddress", "IPv6Network"),
    SAFE("ipaddress", "IPv4Interface"), SAFE("ipaddress", "IPv6Interface"),
    SAFE("types", "SimpleNamespace"), SAFE("array", "array"), SAFE("array", "_array_reconstructor"),
    SAFE("re", "_compile"),

    /* ---- NumPy: array, dtype and scalar reconstruction ---- */
    SAFE("numpy", "ndarray"), SAFE("numpy", "dtype"), SAFE("numpy", "matrix"),
    SAFE("numpy.core.multiarray", "_reconstruct"), SAFE("numpy._core.multiarray", "_reconstruct"),
    SAFE("numpy.core.multiarray", "scalar"), SAFE("numpy._core.multiarray", "scalar"),
    SAFE("numpy.core.numeric", "_frombuffer"), SAFE("numpy._core.numeric", "_frombuffer"),
    SAFE("numpy.ma.core", "_mareconstruct"), SAFE("numpy.ma.core", "MaskedArray"),
    SAFE("numpy.core.records", "recarray"), SAFE("numpy.rec", "recarray"),
    SAFE("numpy.core.memmap", "memmap"),
    SAFE("numpy.dtypes", "Float64DType"), SAFE("numpy.dtypes", "Float32DType"),
    SAFE("numpy.dtypes", "Int64DType"), SAFE("numpy.dtypes", "Int32DType"),
    /* joblib's array placeholder (its data follows in the file) */
    SAFE("joblib.numpy_pickle", "NumpyArrayWrapper"),
    SAFE("sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper"),
    SAFE("joblib.numpy_pickle_compat", "NDArrayWrapper"),

    /* ---- PyTorch: tensor, storage and dtype rebuilding ---- */
    SAFE("torch._utils", "_rebuild_tensor"), SAFE("torch._utils", "_rebuild_tensor_v2"),
    SAFE("torch._utils", "_rebuild_tensor_v3"), SAFE("torch._utils", "_rebuild_parameter"),
    SAFE("torch._utils", "_rebuild_parameter_with_state"), SAFE("torch._utils", "_rebuild_sparse_tensor"),
    SAFE("torch._utils", "_rebuild_nested_tensor"), SAFE("torch._utils", "_rebuild_qtensor"),
    SAFE("torch._utils", "_rebuild_meta_tensor_no_storage"),
    SAFE("torch._utils", "_rebuild_device_tensor_from_numpy"),
    SAFE("torch._utils", "_rebuild_wrapper_subclass"),
    SAFE("torch._tensor", "_rebuild_from_type"), SAFE("torch._tensor", "_rebuild_from_type_v2"),
    SAFE("torch.nn.parameter", "Parameter"), SAFE("torch", "Size"), SAFE("torch", "device"),
    SAFE("torch", "Tensor"), SAFE("torch.storage", "UntypedStorage"), SAFE("torch", "UntypedStorage"),
    SAFE("torch", "FloatStorage"), SAFE("torch", "DoubleStorage"), SAFE("torch", "HalfStorage"),
    SAFE("torch", "BFloat16Storage"), SAFE("torch", "LongStorage"), SAFE("torch", "IntStorage"),
    SAFE("torch", "ShortStorage"), SAFE("torch", "CharStorage"), SAFE("torch", "ByteStorage"),
    SAFE("torch", "BoolStorage"), SAFE("torch", "ComplexFloatStorage"),
    SAFE("torch", "ComplexDoubleStorage"), SAFE("torch", "QInt8Storage"), SAFE("torch", "QUInt8Storage"),
    SAFE("torch", "QInt32Storage"),
    SAFE("torch", "float32"), SAFE("torch", "float64"), SAFE("torch", "float16"),
    SAFE("torch", "bfloat16"), SAFE("torch", "int64"), SAFE("torch", "int32"), SAFE("torch", "int16"),
    SAFE("torch", "int8"), SAFE("torch", "uint8"), SAFE("torch", "bool"), SAFE("torch", "complex64"),
    SAFE("torch", "complex128"), SAFE("torch", "float"), SAFE("torch", "double"), SAFE("torch", "half"),
    SAFE("torch", "long"), SAFE("torch", "int"),
    SAFE("torch", "strided"), SAFE("torch", "sparse_coo"), SAFE("torch", "sparse_csr"),
    SAFE("torch", "contiguous_format"), SAFE("torch", "channels_last"), SAFE("torch", "preserve_format"),
    /* quantization schemes: constants of a quantized tensor's state */
    SAFE("torch", "per_tensor_affine"), SAFE("torch", "per_channel_affine"),
    SAFE("torch", "per_tensor_symmetric"), SAFE("torch", "per_channel_symmetric"),
    SAFE("torch", "per_channel_affine_float_qparams"),

    /* ---- dangerous: builtins ---- */
    DANGER("builtins", "eval", W_CODE), DANGER("builtins", "exec", W_CODE),
    DANGER("builtins", "compile", W_CODE), DANGER("builtins", "open", W_FILES),
    DANGER("builtins", "__import__", W_IMPORT), DANGER("builtins", "getattr", W_ATTR),
    DANGER("builtins", "setattr", W_ATTR), DANGER("builtins", "delattr", W_ATTR),
    DANGER("builtins", "globals", W_INTERP), DANGER("builtins", "locals", W_INTERP),
    DANGER("builtins", "vars", W_INTERP), DANGER("builtins", "breakpoint", W_CODE),
    DANGER("builtins", "input", W_PROC), DANGER("builtins", "help", W_PROC),
    DANGER("builtins", "exit", W_PROC), DANGER("builtins", "quit", W_PROC),
    DANGER("builtins", "__build_class__", W_CODE), DANGER("builtins", "__loader__", W_IMPORT),
    DANGER("builtins", "__builtins__", W_INTERP),
    DANGER("__builtin__", "eval", W_CODE), DANGER("__builtin__", "exec", W_CODE),
    DANGER("__builtin__", "execfile", W_CODE), DANGER("__builtin__", "compile", W_CODE),
    DANGER("__builtin__", "open", W_FILES), DANGER("__builtin__", "file", W_FILES),
    DANGER("__builtin__", "__import__", W_IMPORT), DANGER("__builtin__", "getattr", W_ATTR),
    DANGER("__builtin__", "setattr", W_ATTR), DANGER("__builtin__", "delattr", W_ATTR),
    DANGER("__builtin__", "globals", W_INTERP), DANGER("__builtin__", "locals", W_INTERP),
    DANGER("__builtin__", "vars", W_INTERP), DANGER("__builtin__", "input", W_CODE),
    DANGER("__builtin__", "raw_input", W_PROC), DANGER("__builtin__", "apply", W_CALL),
    DANGER("__builtin__", "reload", W_IMPORT),

    /* ---- dangerous: single names in otherwise harmless modules ---- */
    DANGER("operator", "attrgetter", W_ATTR), DANGER("operator", "methodcaller", W_ATTR),
    DANGER("_operator", "attrgetter", W_ATTR), DANGER("_operator", "methodcaller", W_ATTR),
    DANGER("functools", "reduce", W_CALL), DANGER("_functools", "reduce", W_CALL),
    DANGER("functools", "partialmethod", W_CALL),
    DANGER("io", "open", W_FILES), DANGER("io", "open_code", W_FILES), DANGER("io", "FileIO", W_FILES),
    DANGER("_io", "open", W_FILES), DANGER("_io", "open_code", W_FILES), DANGER("_io", "FileIO", W_FILES),
    DANGER("codecs", "open", W_FILES), DANGER("codecs", "lookup", W_IMPORT),
    DANGER("copyreg", "add_extension", W_INTERP), DANGER("copyreg", "pickle", W_INTERP),
    DANGER("copy_reg", "add_extension", W_INTERP),
    DANGER("types", "FunctionType", W_CODE), DANGER("types", "CodeType", W_CODE),
    DANGER("types", "LambdaType", W_CODE), DANGER("types", "MethodType", W_CODE),
    DANGER("types", "ModuleType", W_CODE), DANGER("types", "new_class", W_CODE),
    DANGER("numpy", "load", W_PICKLE), DANGER("numpy", "loads", W_PICKLE),
    DANGER("numpy", "fromfile", W_FILES), DANGER("numpy", "save", W_FILES),
    DANGER("numpy", "loadtxt", W_FILES), DANGER("numpy", "genfromtxt", W_FILES),
    DANGER("numpy.core.numeric", "loads", W_PICKLE), DANGER("numpy.lib.npyio", "load", W_PICKLE),
    DANGER("numpy.testing._private.utils", "runstring", W_CODE),
    DANGER("numpy.ctypeslib", "load_library", W_CODE),
    DANGER("torch", "load", W_PICKLE), DANGER("torch.serialization", "load", W_PICKLE),
    DANGER("torch.storage", "_load_from_bytes", W_PICKLE), DANGER("torch", "save", W_FILES),
    DANGER("torch.jit", "*", W_CODE), DANGER("torch.hub", "*", W_NET), DANGER("torch._C", "*", W_INTERP),
    DANGER("torch._dynamo", "*", W_CODE), DANGER("torch.utils.cpp_extension", "*", W_CODE),
    DANGER("logging.config", "*", W_CODE), DANGER("platform", "popen", W_SHELL),
    DANGER("pkgutil", "resolve_name", W_IMPORT), DANGER("pkgutil", "get_data", W_FILES),
    DANGER("joblib", "load", W_PICKLE), DANGER("joblib.numpy_pickle", "load", W_PICKLE),
    DANGER("pandas", "read_pickle", W_PICKLE), DANGER("pandas.io.pickle", "read_pickle", W_PICKLE),
    DANGER("shelve", "open", W_PICKLE),
    DANGER("tempfile", "*", W_FILES), DANGER("glob", "*", W_FILES), DANGER("fileinput", "*", W_FILES),
    DANGER("linecache", "*", W_FILES),

    /* ---- dangerous: whole modules (and their submodules) ---- */
    DANGER("os", "*", W_SHELL), DANGER("posix", "*", W_SHELL), DANGER("nt", "*", W_SHELL),
    DANGER("subprocess", "*", W_SHELL), DANGER("_posixsubprocess", "*", W_SHELL),
    DANGER("_winapi", "*", W_SHELL), DANGER("commands", "*", W_SHELL), DANGER("popen2", "*", W_SHELL),
    DANGER("pty", "*", W_SHELL), DANGER("sys", "*", W_INTERP), DANGER("gc", "*", W_INTERP),
    DANGER("signal", "*", W_PROC), DANGER("_signal", "*", W_PROC), DANGER("atexit", "*", W_CODE),
    DANGER("resource", "*", W_PROC), DANGER("faulthandler", "*", W_PROC),
    DANGER("socket", "*", W_NET), DANGER("_socket", "*", W_NET), DANGER("ssl", "*", W_NET),
    DANGER("http", "*", W_NET), DANGER("httplib", "*", W_NET), DANGER("urllib", "*", W_NET),
    DANGER("urllib2", "*", W_NET), DANGER("urllib3", "*", W_NET), DANGER("requests", "*", W_NET),
    DANGER("ftplib", "*", W_NET), DANGER("smtplib", "*", W_NET), DANGER("telnetlib", "*", W_NET),
    DANGER("poplib", "*", W_NET), DANGER("imaplib", "*", W_NET), DANGER("nntplib", "*", W_NET),
    DANGER("socketserver", "*", W_NET), DANGER("xmlrpc", "*", W_NET), DANGER("xmlrpclib", "*", W_NET),
    DANGER("webbrowser", "*", W_SHELL), DANGER("asyncio", "*", W_SHELL),
    DANGER("shutil", "*", W_FILES), DANGER("pathlib", "*", W_FILES), DANGER("zipfile", "*", W_FILES),
    DANGER("tarfile", "*", W_FILES), DANGER("dbm", "*", W_FILES), DANGER("sqlite3", "*", W_FILES),
    DANGER("mmap", "*", W_FILES), DANGER("fcntl", "*", W_FILES),
    DANGER("runpy", "*", W_CODE), DANGER("code", "*", W_CODE), DANGER("codeop", "*", W_CODE),
    DANGER("timeit", "*", W_CODE), DANGER("cProfile", "*", W_CODE), DANGER("profile", "*", W_CODE),
    DANGER("pdb", "*", W_CODE), DANGER("bdb", "*", W_CODE), DANGER("trace", "*", W_CODE),
    DANGER("doctest", "*", W_CODE), DANGER("pydoc", "*", W_SHELL), DANGER("idlelib", "*", W_CODE),
    DANGER("ctypes", "*", W_CODE), DANGER("_ctypes", "*", W_CODE), DANGER("cffi", "*", W_CODE),
    DANGER("importlib", "*", W_IMPORT), DANGER("imp", "*", W_IMPORT), DANGER("zipimport", "*", W_IMPORT),
    DANGER("site", "*", W_IMPORT), DANGER("sysconfig", "*", W_FILES), DANGER("ensurepip", "*", W_SHELL),
    DANGER("venv", "*", W_SHELL), DANGER("pip", "*", W_SHELL), DANGER("setuptools", "*", W_SHELL),
    DANGER("distutils", "*", W_SHELL), DANGER("builtins.__import__", "*", W_IMPORT),
    DANGER("pickle", "*", W_PICKLE), DANGER("_pickle", "*", W_PICKLE), DANGER("cPickle", "*", W_PICKLE),
    DANGER("pickletools", "*", W_PICKLE), DANGER("marshal", "*", W_CODE), DANGER("shelve", "*", W_PICKLE),
    DANGER("dill", "*", W_PICKLE), DANGER("cloudpickle", "*", W_PICKLE),
    DANGER("multiprocessing", "*", W_SHELL), DANGER("_multiprocessing", "*", W_SHELL),
    DANGER("concurrent", "*", W_SHELL), DANGER("threading", "*", W_PROC), DANGER("_thread", "*", W_PROC),
    DANGER("inspect", "*", W_INTERP),
};

/* Attributes that lead from any object to code, modules or builtins. */
static const char *const internal_attrs[] = {
    "__globals__", "__builtins__", "__subclasses__", "__import__", "__code__", "__closure__",
    "__getattribute__", "__getattr__", "__setattr__", "__delattr__", "__dict__", "__class__",
    "__base__", "__bases__", "__mro__", "__init_subclass__", "__loader__", "__spec__", "__reduce__",
    "__reduce_ex__", "__func__", "__self__", "__module__", "func_globals", "f_globals", "gi_frame",
    "tb_frame", "f_back", "f_builtins", "f_locals",
};

static int eq(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    return n == k && memcmp(s, lit, k) == 0;
}

/* module is lit, or a submodule of it. */
static int in_package(const char *m, size_t ml, const char *lit) {
    size_t k = strlen(lit);
    return ml >= k && memcmp(m, lit, k) == 0 && (ml == k || m[k] == '.');
}

acar_scan_severity acar__scan_classify(const char *module, size_t mlen, const char *name, size_t nlen,
                                       const char **why) {
    const size_t count = sizeof table / sizeof table[0];
    *why = NULL;
    /* 1. exact */
    for (size_t i = 0; i < count; i++) {
        const gentry *e = &table[i];
        if (e->name[0] != '*' && eq(module, mlen, e->module) && eq(name, nlen, e->name)) {
            *why = e->why;
            return (acar_scan_severity)e->sev;
        }
    }
    /* 2. the first part of a dotted name */
    const char *dot = memchr(name, '.', nlen);
    if (dot) {
        size_t first = (size_t)(dot - name);
        for (size_t i = 0; i < count; i++) {
            const gentry *e = &table[i];
            if (e->sev == ACAR_SCAN_DANGEROUS && e->name[0] != '*' && eq(module, mlen, e->module) &&
                eq(name, first, e->name)) {
                *why = e->why;
                return ACAR_SCAN_DANGEROUS;
            }
        }
    }
    /* 3. an attribute into the interpreter anywhere in the name */
    for (size_t s = 0; s < nlen;) {
        const char *end = memchr(name + s, '.', nlen - s);
        size_t part = end ? (size_t)(end - name) - s : nlen - s;
        for (size_t k = 0; k < sizeof internal_attrs / sizeof internal_attrs[0]; k++)
            if (eq(name + s, part, internal_attrs[k])) {
                *why = W_INTERP;
                return ACAR_SCAN_DANGEROUS;
            }
        s += part + 1;
    }
    /* 4. the whole module or a package above it */
    for (size_t i = 0; i < count; i++) {
        const gentry *e = &table[i];
        if (e->name[0] == '*' && in_package(module, mlen, e->module)) {
            *why = e->why;
            return (acar_scan_severity)e->sev;
        }
    }
    return ACAR_SCAN_UNKNOWN;
}

/* Callables that unpickle the bytes they are given. */
static const struct { const char *module, *name; } loaders[] = {
    {"pickle", "loads"}, {"pickle", "_loads"}, {"_pickle", "loads"}, {"cPickle", "loads"},
    {"pickle", "load"}, {"pickle", "_load"}, {"_pickle", "load"}, {"cPickle", "load"},
    {"dill", "loads"}, {"dill._dill", "loads"}, {"cloudpickle", "loads"}, {"numpy", "loads"},
    {"numpy.core.numeric", "loads"}, {"torch.storage", "_load_from_bytes"},
};

int acar__scan_is_loads(const char *module, size_t mlen, const char *name, size_t nlen) {
    for (size_t i = 0; i < sizeof loaders / sizeof loaders[0]; i++)
        if (eq(module, mlen, loaders[i].module) && eq(name, nlen, loaders[i].name)) return 1;
    return 0;
}
