#!/usr/bin/env python3
"""Compares Tandem's declaration headers with a CANN include tree.

    python3 runtime-ascend/jextract/compare-headers.py /usr/local/Ascend/ascend-toolkit/latest/include

For every function declared in src/main/native/include/tandem_*.h it finds the declaration with the same name
in the vendor headers and compares return type, parameter types and parameter names (whitespace and comments
ignored, "(void)" equal to "()"). For every macro and enum constant it compares the value. Prints the
differences and exits 1 if there is any, 2 if something could not be found.
"""
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
OURS = sorted((HERE.parent / "src/main/native/include").glob("tandem_*.h"))


def strip(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r"^\s*#[^\n]*(\\\n[^\n]*)*", " ", text, flags=re.M)


def normalise(s):
    s = re.sub(r"\b(ACL_FUNC_VISIBILITY|ACLNN_API|ACL_DEPRECATED|extern|HCCL_API)\b", " ", s)
    s = s.replace('__attribute__((visibility("default")))', " ")
    s = re.sub(r"\s+", " ", s).strip()
    for a, b in (("( ", "("), (" )", ")"), (" ,", ","), (" *", "*"), ("* ", "*"), ("(void)", "()")):
        s = s.replace(a, b)
    return s


def functions(text):
    found = {}
    for m in re.finditer(r"([A-Za-z_][\w \t\*\n]*?)\b(\w+)\s*\(([^;{}()]*)\)\s*;", strip(text)):
        ret, name = m.group(1), m.group(2)
        if name in ("if", "while", "sizeof", "return") or ret.strip().startswith("typedef"):
            continue
        found[name] = normalise(ret + " " + name + "(" + m.group(3) + ")")
    return found


def constants(text):
    found = {}
    raw = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    raw = re.sub(r"//[^\n]*", " ", raw)
    for m in re.finditer(r"#define\s+(\w+)\s+\(?\s*(-?[0-9][\w]*)\s*\)?", raw):
        found[m.group(1)] = m.group(2)
    for m in re.finditer(r"(?:static\s+)?const\s+(?:int|uint32_t|int32_t)\s+(\w+)\s*=\s*(-?[0-9][\w]*)\s*;", raw):
        found[m.group(1)] = m.group(2)
    for body in re.findall(r"enum\s*\w*\s*\{([^}]*)\}", raw):
        value = -1
        for item in (i.strip() for i in body.split(",")):
            if not item:
                continue
            if "=" in item:
                key, expr = (x.strip() for x in item.split("=", 1))
                try:
                    value = int(expr.rstrip("uUlL"), 0)
                except ValueError:
                    value = None
            else:
                key = item
                value = None if value is None else value + 1
            found[key] = str(value)
    return found


def as_int(v):
    try:
        return int(v.rstrip("uUlL"), 0)
    except (ValueError, AttributeError):
        return v


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    vendor_text = "\n".join(p.read_text(errors="replace") for p in pathlib.Path(sys.argv[1]).rglob("*.h"))
    vendor_fns, vendor_consts = functions(vendor_text), constants(vendor_text)
    diffs = missing = same = 0
    for header in OURS:
        text = header.read_text()
        for name, proto in sorted(functions(text).items()):
            theirs = vendor_fns.get(name)
            if theirs is None:
                print(f"{header.name}: {name} not found in {sys.argv[1]}")
                missing += 1
            elif theirs != proto:
                print(f"{header.name}: {name} differs\n  ours:   {proto}\n  vendor: {theirs}")
                diffs += 1
            else:
                same += 1
        for name, value in sorted(constants(text).items()):
            if name.startswith("TANDEM_"):
                continue
            theirs = vendor_consts.get(name)
            if theirs is None:
                print(f"{header.name}: constant {name} not found")
                missing += 1
            elif as_int(theirs) != as_int(value):
                print(f"{header.name}: constant {name} = {value}, vendor {theirs}")
                diffs += 1
            else:
                same += 1
    print(f"{same} identical, {diffs} different, {missing} not found")
    return 1 if diffs else (2 if missing else 0)


if __name__ == "__main__":
    sys.exit(main())
