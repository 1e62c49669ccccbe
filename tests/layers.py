#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The core library's layering, as docs/ARCHITECTURE.md writes it.

Every source file under src/core/ lives in a layer folder; a file includes
headers of its own layer or of lower ones, named with their folder
("probe/facts.h"). The order is read from the line of ARCHITECTURE.md that
starts with "Layers, lowest first:".

  layers.py SRCDIR            check the tree; exit 1 listing every violation
  layers.py --self-test SRCDIR  also show that a violation is caught
"""
import os
import re
import shutil
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read_order(srcdir):
    with open(os.path.join(srcdir, 'docs', 'ARCHITECTURE.md')) as f:
        for line in f:
            if line.startswith('Layers, lowest first:'):
                names = re.findall(r'`([a-z]+)/`', line)
                if names:
                    return names
    raise SystemExit('docs/ARCHITECTURE.md has no "Layers, lowest first:" line')


def check(srcdir):
    order = read_order(srcdir)
    rank = {name: i for i, name in enumerate(order)}
    core = os.path.join(srcdir, 'src', 'core')
    problems = []
    for entry in sorted(os.listdir(core)):
        path = os.path.join(core, entry)
        if os.path.isdir(path):
            if entry not in rank:
                problems.append(f'src/core/{entry}/: a folder that is not a layer in docs/ARCHITECTURE.md')
        elif entry != 'meson.build':
            problems.append(f'src/core/{entry}: every core file belongs in a layer folder')
    for layer in order:
        folder = os.path.join(core, layer)
        if not os.path.isdir(folder):
            problems.append(f'src/core/{layer}/: named in docs/ARCHITECTURE.md but missing')
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(('.c', '.h')):
                continue
            rel = f'src/core/{layer}/{name}'
            with open(os.path.join(folder, name), encoding='utf-8') as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                header = m.group(1)
                line = text.count('\n', 0, m.start()) + 1
                if header == 'config.h':
                    continue
                top = header.split('/', 1)[0] if '/' in header else None
                if top not in rank:
                    problems.append(f'{rel}:{line}: "{header}" is not a core header named with its layer folder')
                elif rank[top] > rank[layer]:
                    problems.append(f'{rel}:{line}: {layer}/ includes "{header}" from the higher layer {top}/')
    return problems


def self_test(srcdir):
    """A probe that includes a check/ header must be refused."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(os.path.join(srcdir, 'src', 'core'), os.path.join(tmp, 'src', 'core'))
        os.mkdir(os.path.join(tmp, 'docs'))
        shutil.copy(os.path.join(srcdir, 'docs', 'ARCHITECTURE.md'), os.path.join(tmp, 'docs'))
        bad = os.path.join(tmp, 'src', 'core', 'probe', 'zz_violation.c')
        with open(bad, 'w') as f:
            f.write('#include "check/inspect.h"\n')
        stray = os.path.join(tmp, 'src', 'core', 'stray.c')
        with open(stray, 'w') as f:
            f.write('\n')
        found = check(tmp)
        want = ['src/core/probe/zz_violation.c:1: probe/ includes "check/inspect.h" from the higher layer check/',
                'src/core/stray.c: every core file belongs in a layer folder']
        missing = [w for w in want if w not in found]
        if missing:
            print('self-test: the check did not catch:', *missing, sep='\n  ')
            return False
        print('self-test: an upward include and a file outside the layers are caught')
        return True


def main():
    args = sys.argv[1:]
    selftest = '--self-test' in args
    args = [a for a in args if a != '--self-test']
    srcdir = args[0] if args else os.path.join(os.path.dirname(__file__), '..')
    ok = True
    if selftest:
        ok = self_test(srcdir)
    problems = check(srcdir)
    for p in problems:
        print(p)
    if problems:
        print(f'{len(problems)} layering problem(s); the order is in docs/ARCHITECTURE.md')
        ok = False
    else:
        print('layers: every core file includes only its own or lower layers')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
