#!/usr/bin/env python3
"""measure.py -- issue 24's table, measured on the working tree: lines,
long functions, big files, database callbacks, SQL and call circles of
intake's owner and its edge. Run from the repository's root:

    python3 tools/shape/measure.py

Needs universal-ctags (the functions and their ends). Prints one line a
measure; reads files only."""
import glob
import re
import subprocess
import sys

OWNER = sorted(glob.glob('services/intake/*.c') + glob.glob('services/intake/*.h'))
EDGE = sorted(glob.glob('services/edge/*.c') + glob.glob('services/edge/*.h'))
TREE = [f for f in glob.glob('services/**/*.c', recursive=True) + glob.glob('common/**/*.c', recursive=True) +
        glob.glob('tools/**/*.c', recursive=True) if 'node_modules' not in f]
SQL = re.compile(r'"\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH)\b')


def lines(files):
    """Every line of the files, as the structure review counted them
    (`find <wing> -name '*.[ch]' | xargs cat | wc -l`): headers too."""
    return sum(sum(1 for _ in open(f, encoding='utf-8')) for f in files)


def functions(files):
    """(lines, file, name) of every function, from ctags' line and end."""
    out = subprocess.run(['ctags', '--c-kinds=f', '--fields=+ne', '-f', '-'] + files, capture_output=True,
                         text=True, check=True).stdout
    for row in out.splitlines():
        m = re.match(r'^(\S+)\t(\S+)\t.*line:(\d+).*end:(\d+)', row)
        if m:
            yield int(m.group(4)) - int(m.group(3)) + 1, m.group(2), m.group(1)


def source(f):
    return re.sub(r'/\*.*?\*/', '', open(f, encoding='utf-8').read(), flags=re.S)


def circles(files):
    """Groups of files that call each other in a loop (strongly connected)."""
    defs = {}
    for _, f, name in functions(files):
        if not name.startswith('s_'):
            defs.setdefault(name, f)
    calls = {f: {df for name, df in defs.items() if df != f and re.search(r'\b' + re.escape(name) + r'\b',
                                                                          source(f))} for f in files}
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in calls[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in files:
        if v not in index:
            visit(v)
    return found


def main():
    owner_c = [f for f in OWNER if f.endswith('.c')]
    edge_c = [f for f in EDGE if f.endswith('.c')]
    long_fns = [(n, f, name) for n, f, name in functions(TREE) if n > 60]
    print(f'C lines (.c and .h), owner (services/intake): {lines(OWNER)} ({lines(owner_c)} in .c files)')
    print(f'C lines (.c and .h), edge (services/edge): {lines(EDGE)} ({lines(edge_c)} in .c files)')
    print(f'functions over 60 lines, owner and edge: '
          f'{sum(1 for _, f, _ in long_fns if f.startswith("services/intake/"))}; whole tree: {len(long_fns)}')
    big = [f for f in OWNER + EDGE + TREE if sum(1 for _ in open(f, encoding='utf-8')) > 800]
    print(f'files over 800 lines: {len(set(big))}')
    callbacks = sum(len(re.findall(r'pk_db_txn_t \*txn, int status, void \*arg', source(f))) for f in owner_c)
    print(f'database callbacks in the owner: {callbacks}')
    work = sum(len(re.findall(r'void \*work\b', source(f))) for f in OWNER)
    call_t = sum(len(re.findall(r'\bintake_call_t\b', source(f))) for f in OWNER + EDGE)
    print(f'void *work: {work}; intake_call_t uses: {call_t}')
    # What replaced it: the edge's common request (edge_call.h), and the
    # typed requests that embed it (a struct whose first member is one).
    common = re.search(r'typedef struct edge_call \{(.*?)\} edge_call_t;', source('services/edge/edge_call.h'), re.S)
    fields = len([l for l in common.group(1).split(';') if l.strip()]) if common else 0
    typed = sum(len(re.findall(r'typedef struct \{\s*edge_call_t c;', source(f))) for f in EDGE)
    print(f'edge_call_t (the common part): {fields} fields; typed requests embedding it: {typed}')
    outbox = sum(len(re.findall(r'INSERT INTO outbox', source(f))) for f in glob.glob('services/**/*.c',
                                                                                      recursive=True))
    print(f'hand-written INSERT INTO outbox in services/: {outbox}')
    with_sql = [f for f in owner_c if SQL.search(source(f))]
    print(f'owner files with SQL: {len(with_sql)}; edge files with SQL: '
          f'{sum(1 for f in edge_c if SQL.search(source(f)))}')
    groups = circles(owner_c + edge_c)
    print(f'call circles (owner and edge): {len(groups)}' +
          ''.join(f'\n  {" ".join(g)}' for g in groups))


if __name__ == '__main__':
    main()
