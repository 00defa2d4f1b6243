"""Makes the example pickles in examples/ (used by the README quick start).

  config.pkl    a nested configuration dict (protocol 4, CPython 3)
  records.pkl   a list of records, one of them a class instance (protocol 4)
  shared.pkl    a list that holds the same dict twice and itself (protocol 2)
  py2.pkl       written by Python 2.7: str, unicode, long, an old-style
                class instance (cPickle, protocol 2)

Python 3 writes the first three; Python 2.7 (pyenv's 2.7.18, or $PYTHON2)
the last.  Re-run after changing anything here and commit the .pkl files.
"""

import os
import pickle
import subprocess
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))


def config():
    return {
        "name": "demo-service",
        "version": (1, 4, 2),
        "debug": False,
        "owner": None,
        "listen": {"host": "0.0.0.0", "port": 8080},
        "servers": [
            {"host": "alpha.example.org", "weight": 0.75, "tags": ["web", "primary"]},
            {"host": "beta.example.org", "weight": 0.25, "tags": ["web"]},
        ],
        "limits": {"timeout_s": 2.5, "retries": 3, "max_body": 1 << 20},
        "secret": b"\x00\x01\xfe\xff",
    }


def records():
    # A class from a module named "inventory", as an application would have.
    mod = types.ModuleType("inventory")
    sys.modules["inventory"] = mod

    class Item:
        def __init__(self, sku, name, price, stock):
            self.sku, self.name, self.price, self.stock = sku, name, price, stock

    Item.__module__ = "inventory"
    Item.__qualname__ = "Item"
    mod.Item = Item
    return [
        {"sku": "A-100", "name": "kettle", "price": 24.99, "stock": 12},
        {"sku": "B-220", "name": "café filter", "price": 3.5, "stock": 0},
        Item("C-310", "teapot", 31.0, 4),
    ]


def shared():
    point = {"x": 1, "y": 2}
    data = [point, point, "end"]
    data.append(data)
    return data


PY2 = r'''
import cPickle, sys
class Account:
    pass
a = Account()
a.owner = u'J\xfcrgen'
a.balance = 12345678901234567890L
a.currency = 'EUR'
a.history = [(1, 'open'), (2, 'deposit')]
sys.stdout.write(cPickle.dumps({'account': a, 'note': 'plain str', 'ratio': 0.5}, 2))
'''


def python2():
    if os.environ.get("PYTHON2"):
        return os.environ["PYTHON2"]
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                          check=True).stdout.strip()
    return os.path.join(root, "versions", "2.7.18", "bin", "python")


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    print("%-12s %5d bytes" % (name, len(data)))


def main():
    write("config.pkl", pickle.dumps(config(), 4))
    write("records.pkl", pickle.dumps(records(), 4))
    write("shared.pkl", pickle.dumps(shared(), 2))
    out = subprocess.run([python2(), "-c", PY2], capture_output=True, check=True).stdout
    write("py2.pkl", out)


if __name__ == "__main__":
    main()
