#!/usr/bin/env python3
"""Embed a text file as a NUL-terminated C string: embed.py SYMBOL IN OUT."""
import sys

sym, src, dst = sys.argv[1:4]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('/* generated from %s; do not edit */\n' % src.split('/')[-1])
    out.write('const char %s[] =\n' % sym)
    for line in data.decode('utf-8').splitlines(True):
        esc = line.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')
        out.write('\t"%s"\n' % esc)
    out.write(';\n')
