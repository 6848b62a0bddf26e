#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Render the uAPI header of a genetlink-legacy YNL spec.

    gen-uapi-header.py SPEC              header on stdout
    gen-uapi-header.py SPEC -o FILE      header into FILE
    gen-uapi-header.py SPEC --check FILE exit 1 (with a diff) if FILE differs

The C names follow the kernel's YNL conventions (tools/net/ynl), so the
header names are a mechanical function of the spec. The naming lives in
groups(), which tests/spec/check-header imports: the check and the
generator cannot disagree about what a spec name becomes in C.
"""

import argparse
import difflib
import os
import sys
import textwrap

import yaml


def c_upper(name):
    return name.upper().replace('-', '_')


def c_lower(name):
    return name.lower().replace('-', '_')


class Group:
    """One C enum of the header: a definition, an attribute set or the
    command list. items are (C name, value, doc); helpers are the
    __*_MAX / *_MAX entries, which carry no protocol meaning."""

    def __init__(self, label, tag, doc, items, helpers=()):
        self.label = label
        self.tag = tag
        self.doc = doc
        self.items = items
        self.helpers = list(helpers)


def defines(spec):
    """The #defines: (C name, value, comment)."""
    fam = spec['name']
    out = [
        (c_upper(spec.get('c-family-name', f'{fam}-family-name')), fam, None),
        (c_upper(spec.get('c-version-name', f'{fam}-family-version')),
         spec.get('version', 1), None),
    ]
    for d in spec.get('definitions', []):
        if d['type'] == 'const':
            pfx = d.get('name-prefix', f'{fam}-')
            out.append((c_upper(pfx + d['name']), d['value'], d.get('doc')))
    for grp in spec.get('mcast-groups', {}).get('list', []):
        name = grp.get('c-define-name', f"{fam}-mcgrp-{grp['name']}")
        out.append((c_upper(name), grp['name'], None))
    return out


def groups(spec):
    """Every C enum the spec defines, in spec order."""
    fam = spec['name']
    out = []

    for d in spec.get('definitions', []):
        if d['type'] not in ('enum', 'flags'):
            continue
        pfx = d.get('name-prefix', f"{fam}-{d['name']}-")
        tag = d['enum-name'] if 'enum-name' in d else f"{fam}-{d['name']}"
        items = []
        val = d.get('value-start', 0)
        for i, e in enumerate(d['entries']):
            e = {'name': e} if isinstance(e, str) else e
            if 'value' in e:
                val = e['value']
            # flags are bit numbers in the spec, masks in C
            cval = 1 << val if d['type'] == 'flags' else val
            items.append((c_upper(pfx + e['name']), cval, e.get('doc')))
            val += 1
        out.append(Group(f"enum {d['name']}", c_lower(tag) if tag else None,
                         d.get('doc'), items))

    for s in spec['attribute-sets']:
        if 'subset-of' in s:
            continue
        if 'name-prefix' in s:
            pfx = s['name-prefix']
        elif s['name'] == fam:
            pfx = f'{fam}-a-'
        else:
            pfx = f"{fam}-a-{s['name']}-"
        items = []
        val = 1
        for a in s['attributes']:
            val = a.get('value', val)
            items.append((c_upper(pfx + a['name']), val, _attr_doc(a)))
            val += 1
        cnt = c_upper(s.get('attr-cnt-name', f'__{pfx}max'))
        mx = c_upper(s.get('attr-max-name', f'{pfx}max'))
        tag = s.get('enum-name')
        out.append(Group(f"attribute-set {s['name']}", c_lower(tag) if tag else None,
                         s.get('doc'), items,
                         [(cnt, val, None), (mx, val - 1, None)]))

    ops = spec['operations']
    pfx = ops.get('name-prefix', f'{fam}-cmd-')
    items = []
    val = 1
    for op in ops['list']:
        val = op.get('value', val)
        items.append((c_upper(pfx + op['name']), val, op.get('doc')))
        val += 1
    cnt = c_upper(spec.get('cmd-cnt-name', f'__{pfx}max'))
    mx = c_upper(spec.get('cmd-max-name', f'{pfx}max'))
    tag = ops.get('enum-name')
    out.append(Group('operations', c_lower(tag) if tag else None,
                         'Commands.', items,
                     [(cnt, val, None), (mx, val - 1, None)]))
    return out


def _attr_doc(a):
    """An attribute's doc, led by its type so the header reads alone."""
    kind = a['type']
    if a.get('enum'):
        kind += f", enum {a['enum']}"
    if a.get('nested-attributes'):
        kind += f", attributes of {a['nested-attributes']}"
    if a.get('multi-attr'):
        kind += ', repeated'
    doc = ' '.join(a.get('doc', '').split())
    return f'({kind}) {doc}'.strip()


def _doc_block(lines_in, first, kdoc):
    """A comment: first line, then '@NAME: doc' lines, wrapped; kernel-doc
    only for a named enum, since kernel-doc needs a name."""
    out = ['/**' if kdoc else '/*']
    for text in [first] + lines_in:
        for line in textwrap.wrap(' '.join(text.split()), width=76,
                                  subsequent_indent='  ',
                                  break_on_hyphens=False):
            out.append(' * ' + line)
    out.append(' */')
    return out


def render(spec, spec_path):
    fam = spec['name']
    guard = '_UAPI_' + c_upper(spec.get('uapi-header', f'linux/{fam}.h')
                               .replace('/', '_').replace('.', '_'))
    out = ['/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */',
           '/* Do not edit directly, auto-generated from: */',
           f'/*\t{spec_path} */',
           '/* by specs/gen-uapi-header.py */',
           '',
           f'#ifndef {guard}',
           f'#define {guard}',
           '']
    for name, val, _ in defines(spec):
        val = f'"{val}"' if isinstance(val, str) else str(val)
        out.append(f'#define {name} {val}')
    out.append('')

    for g in groups(spec):
        title = f'enum {g.tag}' if g.tag else 'enum'
        entry_docs = [f'@{n}: {d}' for n, _, d in g.items if d]
        head = f'enum {g.tag}' if g.tag else g.label
        out += _doc_block(entry_docs, f'{head} - {g.doc}' if g.doc else head,
                          bool(g.tag))
        out.append(f'{title} {{')
        expect = None
        for name, val, _ in g.items:
            # An explicit initialiser only where the value does not follow.
            if (expect is None and val != 0) or (expect is not None and val != expect):
                out.append(f'\t{name} = {val},')
            else:
                out.append(f'\t{name},')
            expect = val + 1
        if g.helpers:
            (cnt, _, _), (mx, _, _) = g.helpers
            out += ['', f'\t{cnt},', f'\t{mx} = ({cnt} - 1)']
        out += ['};', '']

    out.append(f'#endif /* {guard} */')
    return '\n'.join(out) + '\n'


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('spec')
    ap.add_argument('-o', '--output')
    ap.add_argument('--check', metavar='FILE')
    args = ap.parse_args()

    # The path recorded in the header is relative to the repository root.
    root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    rel = os.path.relpath(os.path.realpath(args.spec), root)
    text = render(load(args.spec), rel)

    if args.check:
        with open(args.check) as f:
            have = f.read()
        if have == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            have.splitlines(True), text.splitlines(True),
            args.check, 'generated from ' + rel))
        return 1
    if args.output:
        with open(args.output, 'w') as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
