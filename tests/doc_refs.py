#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Comments cite documents in the repository, and the sections they cite exist.

Fails on a cite of the design brief or of ../shared (documents outside the
repository), on "X.md §N" where X.md does not exist (resolved from the citing
file's folder, then from the top of the tree) or has no heading "N. ...",
on a bare "§N" outside a Markdown file (it names no document), and on
"README.md, Heading" or "rdna1-doctor(8), SECTION" whose heading, section
(or, for the man page, --option) is not there. Inside a Markdown file a
bare "§N" is a section of that file.

  doc_refs.py SRCDIR              check the tree; exit 1 listing every problem
  doc_refs.py --self-test SRCDIR  first show that each kind of problem is caught
"""
import os
import re
import sys
import tempfile

# What is scanned: the code, its data and its documents.
TOP_DIRS = ['src', 'tests', 'data', 'packaging', 'bench', 'man', 'profiles', 'recovery', 'docs']
TOP_FILES = ['README.md', 'meson.build', 'meson_options.txt', 'test', 'run']
SKIP_DIRS = {'.cache', '.git', '__pycache__', 'corpus', 'regressions'}
SELF = os.path.basename(__file__)

# Spelled in pieces so that this file does not cite what it forbids.
OUTSIDE = [
        (re.compile(r'\b' + 'BR' + r'IEF\b'), 'cites the design brief, which is not in the repository'),
        (re.compile(r'\.\./' + 'shared' + r'\b|/work/' + 'shared' + r'\b'),
         'cites ../shared, which is not in the repository'),
]
SECTION = r'(?:§|\bsection\s+)\s*(\d+)'
DOC_CITE = re.compile(r'([\w./-]*[\w-]\.md)\s*' + SECTION + r'((?:\s*(?:,|and|or|-|–)\s*§\s*\d+)*)')
MORE = re.compile(r'§\s*(\d+)')
BARE = re.compile(r'§\s*(\d+)')
HEADING = re.compile(r'^#+\s+(\d+)\.\s', re.M)
NAMED = [  # (cite, document, what counts as a place in it)
        (re.compile(r'\bREADME\.md, ([^):;,.*/]+)'), 'README.md', re.compile(r'^#+\s+(.+?)\s*$', re.M)),
        (re.compile(r'\brdna1-doctor\(8\), ([^):;,.*/]+)'), 'man/rdna1-doctor.8',
         re.compile(r'^\.S[HS]\s+"?(.+?)"?\s*$', re.M)),
]
MAN_OPTION = re.compile(r'--?[a-z][\w-]*')


def scanned_files(srcdir):
    for name in TOP_FILES:
        path = os.path.join(srcdir, name)
        if os.path.isfile(path):
            yield name
    for top in TOP_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(srcdir, top)):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and d != 'build' and not d.startswith('build-'))
            for name in sorted(filenames):
                if name == SELF and dirpath == os.path.join(srcdir, 'tests'):
                    continue
                yield os.path.relpath(os.path.join(dirpath, name), srcdir)


def read_text(path):
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except (UnicodeDecodeError, IsADirectoryError):
        return None


class Docs:
    """The numbered sections of each Markdown document, read once."""

    def __init__(self, srcdir):
        self.srcdir = srcdir
        self.cache = {}

    def sections(self, rel):
        if rel not in self.cache:
            text = read_text(os.path.join(self.srcdir, rel))
            self.cache[rel] = None if text is None else {int(n) for n in HEADING.findall(text)}
        return self.cache[rel]

    def places(self, rel, pattern):
        """Headings of a document (and, for the man page, its options), or None if it is missing."""
        key = (rel, pattern.pattern)
        if key not in self.cache:
            text = read_text(os.path.join(self.srcdir, rel))
            if text is None:
                self.cache[key] = None
            else:
                found = {h.strip() for h in pattern.findall(text)}
                if rel.endswith('.8'):
                    found |= set(MAN_OPTION.findall(text.replace('\\-', '-')))
                self.cache[key] = found
        return self.cache[key]

    def resolve(self, citing, doc):
        """The cited document as a path from the top, or None."""
        here = os.path.dirname(citing)
        for base in (here, ''):
            rel = os.path.normpath(os.path.join(base, doc))
            if not rel.startswith('..') and os.path.isfile(os.path.join(self.srcdir, rel)):
                return rel
        return None


def check_line(docs, rel, lineno, line, problems):
    where = f'{rel}:{lineno}'
    outside = False
    for pattern, why in OUTSIDE:
        if pattern.search(line):
            problems.append(f'{where}: {why}')
            outside = True
    covered = []
    for m in DOC_CITE.finditer(line):
        covered.append(m.span())
        numbers = [int(m.group(2))] + [int(n) for n in MORE.findall(m.group(3))]
        doc = m.group(1)
        if '../shared' in doc or doc.startswith('/'):
            continue  # reported above, or not a repository path
        target = docs.resolve(rel, doc)
        if target is None:
            problems.append(f'{where}: cites {doc} §{numbers[0]}, but there is no {doc} in the repository')
            continue
        have = docs.sections(target)
        for n in numbers:
            if not have or n not in have:
                problems.append(f'{where}: cites {doc} §{n}, but {target} has no section {n}')
    for pattern, doc, heads in NAMED:
        for m in pattern.finditer(line):
            place = m.group(1).strip()
            have = docs.places(doc, heads)
            if have is None:
                problems.append(f'{where}: cites {doc}, which is not in the repository')
            elif place.split(' ', 1)[0] not in have and place not in have:
                problems.append(f'{where}: cites "{place}" of {doc}, which has no such heading')
    for m in BARE.finditer(line):
        if outside or any(a <= m.start() < b for a, b in covered):
            continue  # part of a cite already judged
        n = int(m.group(1))
        if rel.endswith('.md'):
            have = docs.sections(rel)
            if not have or n not in have:
                problems.append(f'{where}: §{n}, but {rel} has no section {n}')
        else:
            problems.append(f'{where}: §{n} names no document (write docs/NAME.md §{n})')


def check(srcdir):
    docs = Docs(srcdir)
    problems = []
    for rel in scanned_files(srcdir):
        text = read_text(os.path.join(srcdir, rel))
        if text is None:
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            check_line(docs, rel, lineno, line, problems)
    return problems


def self_test():
    """A tree with one good cite and one of each bad kind: every bad one is caught, the good one not."""
    brief = 'BR' + 'IEF'
    files = {
            'docs/DOMAIN.md': '# Facts\n\n## 1. One\n\nSee §1 and §3.\n\n## 2. Two\n',
            'README.md': '# Tool\n\n### Recovery\n',
            'man/rdna1-doctor.8': '.SH "EXIT STATUS"\n.B \\-\\-selftest\n',
            'src/core/good.c': ('/* docs/DOMAIN.md §1, §2; the man page, FILES */\n'
                                '/* README.md, Recovery; rdna1-doctor(8), EXIT STATUS */\n'
                                '/* rdna1-doctor(8), --selftest */\n'),
            'src/core/bad.c': (f'/* {brief} §4 */\n'
                               '/* ../' 'shared/DOMAIN.md */\n'
                               '/* docs/DOMAIN.md §9 */\n'
                               '/* docs/NOPE.md §1 */\n'
                               '/* DOMAIN.md §1 */\n'
                               '/* (§2) */\n'
                               '/* docs/DOMAIN.md §1, §7 */\n'
                               '/* README.md, Layout */\n'
                               '/* rdna1-doctor(8), FINDINGS */\n'),
            'profiles/x.ini': 'source = "docs/DOMAIN.md section 5"\n',
    }
    want = [
            'docs/DOMAIN.md:5: §3, but docs/DOMAIN.md has no section 3',
            'src/core/bad.c:1: cites the design brief, which is not in the repository',
            'src/core/bad.c:2: cites ../shared, which is not in the repository',
            'src/core/bad.c:3: cites docs/DOMAIN.md §9, but docs/DOMAIN.md has no section 9',
            'src/core/bad.c:4: cites docs/NOPE.md §1, but there is no docs/NOPE.md in the repository',
            'src/core/bad.c:5: cites DOMAIN.md §1, but there is no DOMAIN.md in the repository',
            'src/core/bad.c:6: §2 names no document (write docs/NAME.md §2)',
            'src/core/bad.c:7: cites docs/DOMAIN.md §7, but docs/DOMAIN.md has no section 7',
            'src/core/bad.c:8: cites "Layout" of README.md, which has no such heading',
            'src/core/bad.c:9: cites "FINDINGS" of man/rdna1-doctor.8, which has no such heading',
            'profiles/x.ini:1: cites docs/DOMAIN.md §5, but docs/DOMAIN.md has no section 5',
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), 'w', encoding='utf-8') as f:
                f.write(text)
        found = check(tmp)
    missing = [w for w in want if w not in found]
    unexpected = [f for f in found if f not in want]
    if missing or unexpected:
        print('self-test: the check did not catch:', *missing, sep='\n  ')
        print('self-test: the check reported what is fine:', *unexpected, sep='\n  ')
        return False
    print(f'self-test: {len(want)} bad citations are caught, the good ones pass')
    return True


def main():
    args = sys.argv[1:]
    selftest = '--self-test' in args
    args = [a for a in args if a != '--self-test']
    srcdir = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    ok = self_test() if selftest else True
    problems = check(srcdir)
    for p in problems:
        print(p)
    if problems:
        print(f'{len(problems)} citation problem(s): cite docs/NAME.md §N, README.md or rdna1-doctor(8)')
        ok = False
    else:
        print('doc_refs: every cited document and section is in the repository')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
