#!/usr/bin/env python3
"""Embed a text file as a NUL-terminated C char array: embed.py SYMBOL IN OUT.

A byte array rather than a string literal: ISO C caps literals at 4,095
characters and the build runs with -Werror -pedantic."""
import sys

sym, src, dst = sys.argv[1:4]
data = open(src, 'rb').read() + b'\0'
with open(dst, 'w') as out:
    out.write('/* generated from %s; do not edit */\n' % src.split('/')[-1])
    out.write('extern const char %s[];\n' % sym)
    out.write('const char %s[] = {\n' % sym)
    for i in range(0, len(data), 16):
        out.write('\t' + ', '.join('%d' % b for b in data[i:i + 16]) + ',\n')
    out.write('};\n')
