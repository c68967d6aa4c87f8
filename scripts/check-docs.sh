#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Render every .rst file under Documentation/ with docutils, warnings
# counted as errors, as the kernel's Sphinx build would find them.  Sphinx's
# own markup is not docutils': the :ref: and :doc: roles and the toctree
# directive are registered here, and checked across the files instead of
# rendered (every :ref: label must be defined by a ".. _label:" in some
# file, every :doc: and toctree entry must name an existing .rst file).
# Prints each problem as FILE:LINE: (LEVEL/N) message, then a count, and
# exits 1 if there is any, 2 if docutils is missing (python3-docutils,
# installed by scripts/deps.sh).
#
# Usage: scripts/check-docs.sh [FILE.rst...]   (default: all of Documentation/)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ $# -eq 0 ]; then
	mapfile -t files < <(find Documentation -name '*.rst' | sort)
else
	files=("$@")
fi
python3 -c 'import docutils' 2>/dev/null || {
	echo "check-docs: python3 cannot import docutils (apt-get install python3-docutils)" >&2
	exit 2
}

python3 - "${files[@]}" <<'EOF'
import io
import os
import re
import sys

import docutils.core
from docutils import nodes
from docutils.parsers.rst import Directive, directives, roles

refs = []	# (file, line, label)
docs = []	# (file, line, path of the .rst named)
cur = None	# the file being parsed


def ref_role(name, rawtext, text, lineno, inliner, options={}, content=[]):
    m = re.fullmatch(r'(?s)(.*?)\s*<([^<>]+)>', text)
    label = m.group(2) if m else text
    refs.append((cur, lineno, label.strip().lower()))
    return [nodes.literal(rawtext, m.group(1) if m else text)], []


def doc_target(docname):
    base = os.path.dirname(cur)
    if docname.startswith('/'):
        return os.path.normpath('Documentation' + docname + '.rst')
    return os.path.normpath(os.path.join(base, docname + '.rst'))


def doc_role(name, rawtext, text, lineno, inliner, options={}, content=[]):
    m = re.fullmatch(r'(?s)(.*?)\s*<([^<>]+)>', text)
    docname = (m.group(2) if m else text).strip()
    docs.append((cur, lineno, doc_target(docname)))
    return [nodes.literal(rawtext, m.group(1) if m else text)], []


class TocTree(Directive):
    has_content = True
    option_spec = {'maxdepth': directives.nonnegative_int,
                   'caption': directives.unchanged, 'hidden': directives.flag,
                   'numbered': directives.flag, 'glob': directives.flag}

    def run(self):
        for entry in self.content:
            entry = entry.strip()
            if entry:
                m = re.fullmatch(r'(?s).*?<([^<>]+)>', entry)
                docs.append((cur, self.lineno, doc_target(m.group(1) if m else entry)))
        return []


roles.register_local_role('ref', ref_role)
roles.register_local_role('doc', doc_role)
directives.register_directive('toctree', TocTree)

labels = set()
problems = 0
for path in sys.argv[1:]:
    cur = os.path.normpath(path)
    stream = io.StringIO()
    with open(path, encoding='utf-8') as f:
        text = f.read()
    try:
        tree = docutils.core.publish_doctree(
            text, source_path=path,
            settings_overrides={'report_level': 2, 'halt_level': 5,
                                'warning_stream': stream,
                                'file_insertion_enabled': False,
                                'raw_enabled': False})
    except Exception as e:	# a SEVERE problem docutils could not go past
        print(f'{path}: (SEVERE) {e}')
        problems += 1
        continue
    for msg in stream.getvalue().splitlines():
        if re.search(r'\((WARNING|ERROR|SEVERE)/\d\)', msg):
            print(msg)
            problems += 1
    # Explicit targets (".. _label:"); docutils moves their names onto
    # the element that follows, so they are read from the source.
    labels.update(' '.join(m.group(1).lower().split()) for m in
                  re.finditer(r'(?m)^\.\. _([^:`]+):\s*$', text))
for f, line, label in refs:
    if label not in labels:
        print(f'{f}:{line}: (ERROR/3) :ref: to undefined label "{label}"')
        problems += 1
for f, line, target in docs:
    if not os.path.isfile(target):
        print(f'{f}:{line}: (ERROR/3) no document {target}')
        problems += 1
print(f'check-docs: {len(sys.argv) - 1} file(s), {problems} problem(s)')
sys.exit(1 if problems else 0)
EOF
